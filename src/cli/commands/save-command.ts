// berth save: save images as one OCI archive, -o FILE or stdout.
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { saveImages } from "../image-actions.js";

export const saveCommand: Command = {
  name: "save",
  summary: "save images as an OCI archive",
  usage: "[-o FILE] IMAGE...",
  positionals: { min: 1, max: Infinity },
  options: [{ name: "output", short: "o", type: "string", value: "FILE", help: "the archive to write (default: stdout, when it is not a terminal)" }],
  run: (ctx) => withClient(ctx.globals, (client) => saveImages(ctx, client, ctx.positionals)),
};
