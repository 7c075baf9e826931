// berth exec: run another process in a running container, follow its
// output and exit with its exit code.
import { randomBytes } from "node:crypto";

import { flag, stringOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { writeExitNotes } from "../exit-notes.js";
import { foreground } from "../foreground.js";
import { PROCESS_FLAGS, processOf } from "../process-flags.js";

export const execCommand: Command = {
  name: "exec",
  summary: "run a process in a running container",
  usage: "[OPTIONS] ID [--] CMD [ARG...]",
  positionals: { min: 1, max: 1 },
  takesCommand: true,
  options: [
    { name: "id", type: "string", value: "EXECID", help: "the process's id (default exec-<random>)" },
    { name: "detach", short: "d", type: "boolean", help: "print the process id and return at once" },
    ...PROCESS_FLAGS,
  ],
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const processId = stringOption(ctx, "id") ?? `exec-${randomBytes(4).toString("hex")}`;
    const process = processOf(ctx, "exec");
    return withClient(ctx.globals, async (client) => {
      await client.addProcess(id, processId, process);
      if (flag(ctx, "detach")) {
        ctx.stdout.write(`${processId}\n`);
        return 0;
      }
      const status = await foreground(client, id, processId, ctx);
      if (status === undefined) return 0;
      writeExitNotes(ctx.stderr, `process ${processId} of ${id}`, status);
      return status.exitCode;
    });
  },
};
