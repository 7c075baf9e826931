// berth load: load images from a docker save or OCI archive, -i FILE or stdin.
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { loadImages } from "../image-actions.js";

export const loadCommand: Command = {
  name: "load",
  summary: "load images from a docker save or OCI archive",
  usage: "[-i FILE]",
  positionals: { min: 0, max: 0 },
  options: [{ name: "input", short: "i", type: "string", value: "FILE", help: "the archive (default: stdin)" }],
  run: (ctx) => withClient(ctx.globals, (client) => loadImages(ctx, client)),
};
