// berth rmi: remove images, untagging first (docker rmi).
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { removeImages } from "../image-actions.js";

export const rmiCommand: Command = {
  name: "rmi",
  summary: "remove images (untag, then delete)",
  usage: "[-f] IMAGE...",
  positionals: { min: 1, max: Infinity },
  options: [{ name: "force", short: "f", type: "boolean", help: "remove an image containers use (they keep running), or one with several names" }],
  run: (ctx) => withClient(ctx.globals, (client) => removeImages(ctx, client, ctx.positionals)),
};
