// berth create: make a container without starting it, for `berth start`.
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { CREATE_FLAGS, createOptionsOf } from "../create-flags.js";

export const createCommand: Command = {
  name: "create",
  summary: "create a container without starting it",
  usage: "[OPTIONS] ID [--] [CMD [ARG...]]",
  positionals: { min: 1, max: 1 },
  takesCommand: true,
  options: CREATE_FLAGS,
  details:
    "Takes run's options (not -d or --rm) and prints the id; `berth start ID` runs it.\n" +
    "Without --rootfs, --image or --image-archive the container runs on the image berth.local/busybox:latest;\n" +
    "with --image REF the image's entrypoint and cmd run unless a command is given.",
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const options = { ...createOptionsOf(ctx, "create"), start: false };
    await withClient(ctx.globals, (client) => client.create(id, options));
    ctx.stdout.write(`${id}\n`);
    return 0;
  },
};
