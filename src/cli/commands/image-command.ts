// berth image: ls, inspect, tag, rm, prune, load and save the images of the
// daemon's store (images, tag, rmi, load and save are the short forms).
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { inspectImages, listImages, loadImages, pruneImages, removeImages, saveImages, tagImage } from "../image-actions.js";
import { UsageError } from "../usage-error.js";

const SUBCOMMANDS = ["ls", "inspect", "tag", "rm", "prune", "load", "save"];

export const imageCommand: Command = {
  name: "image",
  summary: "list, inspect, tag, remove, prune, load and save images",
  usage: "ls [-q] [--dangling] | inspect IMAGE... | tag SOURCE TARGET | rm [-f] IMAGE... | prune [-a] | load [-i FILE] | save [-o FILE] IMAGE...",
  positionals: { min: 1, max: Infinity },
  options: [
    { name: "quiet", short: "q", type: "boolean", help: "ls: only image ids" },
    { name: "dangling", type: "boolean", help: "ls: only images without a name" },
    { name: "force", short: "f", type: "boolean", help: "rm: remove an image containers use, or one with several names" },
    { name: "all", short: "a", type: "boolean", help: "prune: every image no container uses, not only dangling ones" },
    { name: "input", short: "i", type: "string", value: "FILE", help: "load: the archive (default: stdin)" },
    { name: "output", short: "o", type: "string", value: "FILE", help: "save: the archive to write (default: stdout)" },
  ],
  details:
    "An image is named by reference (busybox is docker.io/library/busybox:latest), by id or a unique id prefix.\n" +
    "load takes a `docker save` archive or an OCI image archive; save writes an OCI image archive.",
  async run(ctx) {
    const [sub = "", ...names] = ctx.positionals;
    if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`image: unknown subcommand ${JSON.stringify(sub)}: give ${SUBCOMMANDS.join(", ")}`);
    if ((sub === "inspect" || sub === "rm") && names.length === 0) throw new UsageError(`image ${sub}: give an image`);
    return withClient(ctx.globals, async (client) => {
      switch (sub) {
        case "ls":
          return listImages(ctx, client);
        case "inspect":
          return inspectImages(ctx, client, names);
        case "tag":
          return tagImage(client, names);
        case "rm":
          return removeImages(ctx, client, names);
        case "prune":
          return pruneImages(ctx, client);
        case "load":
          return loadImages(ctx, client);
        default:
          return saveImages(ctx, client, names);
      }
    });
  },
};
