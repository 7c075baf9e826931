// berth tag: give an image another name (docker tag).
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { tagImage } from "../image-actions.js";

export const tagCommand: Command = {
  name: "tag",
  summary: "give an image another name",
  usage: "SOURCE TARGET",
  positionals: { min: 2, max: 2 },
  options: [],
  run: (ctx) => withClient(ctx.globals, (client) => tagImage(client, ctx.positionals)),
};
