// berth run: create a container and start its init process; in the
// foreground, follow its output and exit with its exit code.
import { resolve } from "node:path";

import type { CreateOptions } from "../../client/client.js";
import { INIT_PROCESS_ID } from "../../errors/validate.js";
import { flag, listOption, stringOption, type Command, type CommandContext } from "../command.js";
import { withClient } from "../connect-client.js";
import { writeExitNotes } from "../exit-notes.js";
import { foreground } from "../foreground.js";
import { parseKeyValues } from "../parse-key-values.js";
import { parseRestartPolicy } from "../parse-restart-policy.js";
import { PROCESS_FLAGS, processOf } from "../process-flags.js";
import { RESOURCE_FLAGS, resourcesOf } from "../resource-flags.js";
import { UsageError } from "../usage-error.js";

export const runCommand: Command = {
  name: "run",
  summary: "create and start a container",
  usage: "[OPTIONS] ID [--] CMD [ARG...]",
  positionals: { min: 1, max: 1 },
  takesCommand: true,
  options: [
    { name: "detach", short: "d", type: "boolean", help: "print the id and leave the container running" },
    { name: "rm", type: "boolean", help: "delete the container once it exits (not with -d)" },
    { name: "label", short: "l", type: "string", multiple: true, value: "K=V", help: "set a label (repeatable)" },
    ...PROCESS_FLAGS,
    { name: "rootfs", type: "string", value: "DIR", help: "root filesystem folder on the daemon's host" },
    { name: "image", type: "string", value: "FILE", help: "root filesystem tar or OCI image archive on the daemon's host" },
    { name: "hostname", type: "string", value: "NAME", help: "the container's hostname" },
    { name: "restart", type: "string", value: "POLICY", help: "restart policy: no, always, unless-stopped, on-failure[:N]" },
    ...RESOURCE_FLAGS,
  ],
  details:
    "Without --rootfs or --image the container runs on berth's built-in busybox root filesystem.\n" +
    "In the foreground, Ctrl-C is passed to the container; a second one kills it.\n" +
    "-it gives an interactive shell: this terminal in raw mode, resized with the window; ^P ^Q detaches.",
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const detach = flag(ctx, "detach");
    const remove = flag(ctx, "rm");
    if (detach && remove) throw new UsageError("--rm cannot be combined with -d: the CLI is gone when a detached container exits");
    const options = createOptionsOf(ctx);
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

function createOptionsOf(ctx: CommandContext): CreateOptions {
  const rootfsDir = stringOption(ctx, "rootfs");
  const image = stringOption(ctx, "image");
  if (rootfsDir !== undefined && image !== undefined) throw new UsageError("give --rootfs or --image, not both");
  const hostname = stringOption(ctx, "hostname");
  const restart = stringOption(ctx, "restart");
  const resources = resourcesOf(ctx);
  return {
    process: processOf(ctx, "run"),
    labels: parseKeyValues(listOption(ctx, "label"), "--label"),
    ...(resources !== undefined && { resources }),
    ...(hostname !== undefined && { hostname }),
    ...(restart !== undefined && { restartPolicy: parseRestartPolicy(restart) }),
    // Relative paths mean the caller's folder, not the daemon's.
    ...(rootfsDir !== undefined && { rootfs: { source: { case: "path", value: resolve(rootfsDir) } } }),
    ...(image !== undefined && { rootfs: { source: { case: "imagePath", value: resolve(image) } } }),
  };
}
