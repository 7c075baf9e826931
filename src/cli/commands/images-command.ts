// berth images, tag, rmi, load and save: docker's short forms of
// `berth image ls`, `tag`, `rm`, `load` and `save`.
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { listImages, loadImages, removeImages, saveImages, tagImage } from "../image-actions.js";

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

export const tagCommand: Command = {
  name: "tag",
  summary: "give an image another name",
  usage: "SOURCE TARGET",
  positionals: { min: 2, max: 2 },
  options: [],
  run: (ctx) => withClient(ctx.globals, (client) => tagImage(client, ctx.positionals)),
};

export const rmiCommand: Command = {
  name: "rmi",
  summary: "remove images (untag, then delete)",
  usage: "[-f] IMAGE...",
  positionals: { min: 1, max: Infinity },
  options: [{ name: "force", short: "f", type: "boolean", help: "remove an image containers use (they keep running), or one with several names" }],
  run: (ctx) => withClient(ctx.globals, (client) => removeImages(ctx, client, ctx.positionals)),
};

export const loadCommand: Command = {
  name: "load",
  summary: "load images from a docker save or OCI archive",
  usage: "[-i FILE]",
  positionals: { min: 0, max: 0 },
  options: [{ name: "input", short: "i", type: "string", value: "FILE", help: "the archive (default: stdin)" }],
  run: (ctx) => withClient(ctx.globals, (client) => loadImages(ctx, client)),
};

export const saveCommand: Command = {
  name: "save",
  summary: "save images as an OCI archive",
  usage: "[-o FILE] IMAGE...",
  positionals: { min: 1, max: Infinity },
  options: [{ name: "output", short: "o", type: "string", value: "FILE", help: "the archive to write (default: stdout, when it is not a terminal)" }],
  run: (ctx) => withClient(ctx.globals, (client) => saveImages(ctx, client, ctx.positionals)),
};
