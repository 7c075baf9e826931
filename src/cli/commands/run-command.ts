// berth run: create a container and start its init process; in the
// foreground, follow its output and exit with its exit code.
import { INIT_PROCESS_ID } from "../../errors/validate.js";
import { flag, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { CREATE_FLAGS, createOptionsOf } from "../create-flags.js";
import { writeExitNotes } from "../exit-notes.js";
import { foreground } from "../foreground.js";
import { UsageError } from "../usage-error.js";

export const runCommand: Command = {
  name: "run",
  summary: "create and start a container",
  usage: "[OPTIONS] ID [--] [CMD [ARG...]]",
  positionals: { min: 1, max: 1 },
  takesCommand: true,
  options: [
    { name: "detach", short: "d", type: "boolean", help: "print the id and leave the container running" },
    { name: "rm", type: "boolean", help: "delete the container once it exits (not with -d)" },
    ...CREATE_FLAGS,
  ],
  details:
    "Without --rootfs, --image or --image-archive the container runs on the image berth.local/busybox:latest;\n" +
    "with --image REF the image's entrypoint and cmd run unless a command is given.\n" +
    "In the foreground, Ctrl-C is passed to the container; a second one kills it.\n" +
    "-it gives an interactive shell: this terminal in raw mode, resized with the window; ^P ^Q detaches.",
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const detach = flag(ctx, "detach");
    const remove = flag(ctx, "rm");
    if (detach && remove) throw new UsageError("--rm cannot be combined with -d: the CLI is gone when a detached container exits");
    const options = createOptionsOf(ctx, "run");
    return withClient(ctx.globals, async (client) => {
      await client.create(id, options);
      if (detach) {
        ctx.stdout.write(`${id}\n`);
        return 0;
      }
      const status = await foreground(client, id, INIT_PROCESS_ID, ctx);
      if (status === undefined) return 0;
      writeExitNotes(ctx.stderr, `container ${id}`, status);
      if (remove) await client.delete(id);
      return status.exitCode;
    });
  },
};
