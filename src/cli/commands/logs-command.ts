// berth logs: what a container's init process (or an exec'd process) wrote.
import { flag, stringOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { interruptSignal } from "../interrupt-signal.js";
import { parseCount } from "../parse-count.js";
import { writeLogLines } from "../write-log-lines.js";

export const logsCommand: Command = {
  name: "logs",
  summary: "print a container's output",
  usage: "[-f] [--tail N] [--timestamps] [--process EXECID] ID",
  positionals: { min: 1, max: 1 },
  options: [
    { name: "follow", short: "f", type: "boolean", help: "keep printing new lines until the process exits" },
    { name: "tail", type: "string", value: "N", help: "start with the last N lines" },
    { name: "timestamps", short: "t", type: "boolean", help: "prefix each line with its time" },
    { name: "process", type: "string", value: "EXECID", help: "an exec'd process's output instead of init's" },
  ],
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const tail = stringOption(ctx, "tail");
    const processId = stringOption(ctx, "process");
    const interrupt = interruptSignal();
    try {
      await withClient(ctx.globals, (client) =>
        writeLogLines(
          client.logs(id, {
            follow: flag(ctx, "follow"),
            signal: interrupt.signal,
            ...(tail !== undefined && { tail: parseCount(tail, "--tail") }),
            ...(processId !== undefined && { processId }),
          }),
          { timestamps: flag(ctx, "timestamps"), stdout: ctx.stdout, stderr: ctx.stderr },
        ),
      );
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};
