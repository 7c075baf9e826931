// berth wait: block until a container's (or one process's) exit and print
// its exit code. Like docker wait, it exits 0 itself once it has the code.
import { stringOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { writeExitNotes } from "../exit-notes.js";
import { interruptSignal } from "../interrupt-signal.js";

export const waitCommand: Command = {
  name: "wait",
  summary: "wait for a container to exit and print its exit code",
  usage: "[--process EXECID] ID",
  positionals: { min: 1, max: 1 },
  options: [{ name: "process", type: "string", value: "EXECID", help: "wait for this exec'd process instead" }],
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const processId = stringOption(ctx, "process");
    const interrupt = interruptSignal();
    try {
      const status = await withClient(ctx.globals, (client) =>
        client.wait(id, { ...(processId !== undefined && { processId }), signal: interrupt.signal }),
      );
      // stdout holds only the number, so $(berth wait ID) is usable as is.
      ctx.stdout.write(`${status.exitCode}\n`);
      writeExitNotes(ctx.stderr, processId === undefined ? `container ${id}` : `process ${processId} of ${id}`, status);
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};
