// The flags that describe a process, shared by run (the init process) and
// exec (another process), and the ProcessSpec they make with the command.
import type { ProcessOptions } from "../client/client.js";
import { flag, listOption, stringOption, type CommandContext } from "./command.js";
import type { OptionSpec } from "./parse-argv.js";
import { checkEnv } from "./parse-key-values.js";
import { UsageError } from "./usage-error.js";

export const PROCESS_FLAGS: OptionSpec[] = [
  { name: "env", short: "e", type: "string", multiple: true, value: "K=V", help: "set an environment variable (repeatable)" },
  { name: "cwd", short: "w", type: "string", value: "DIR", help: "working directory inside the container" },
  { name: "interactive", short: "i", type: "boolean", help: "keep stdin open and send this terminal's input to it" },
  { name: "tty", short: "t", type: "boolean", help: "give the process a terminal (sized as this one)" },
];

// processOf builds the process to start.
// Without a command, an image's own entrypoint and cmd run (fromImage).
export function processOf(ctx: CommandContext, verb: string, fromImage = false): ProcessOptions {
  if (ctx.command.length === 0 && !fromImage) throw new UsageError(`${verb} needs a command (or --image): berth ${verb} ID -- CMD [ARG...]`);
  const cwd = stringOption(ctx, "cwd");
  const terminal = flag(ctx, "tty");
  const { columns, rows } = process.stdout;
  return {
    args: ctx.command,
    env: checkEnv(listOption(ctx, "env")),
    ...(cwd !== undefined && { cwd }),
    ...(flag(ctx, "interactive") && { stdin: true }),
    ...(terminal && { terminal, ...(columns && rows && { consoleSize: { width: columns, height: rows } }) }),
  };
}
