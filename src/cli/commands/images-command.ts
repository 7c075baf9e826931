// berth images: the images of the store, one row per name (docker images).
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { listImages } from "../image-actions.js";

export const imagesCommand: Command = {
  name: "images",
  summary: "list images",
  usage: "[-q] [--dangling]",
  positionals: { min: 0, max: 0 },
  options: [
    { name: "quiet", short: "q", type: "boolean", help: "only image ids" },
    { name: "dangling", type: "boolean", help: "only images without a name" },
  ],
  run: (ctx) => withClient(ctx.globals, (client) => listImages(ctx, client)),
};
