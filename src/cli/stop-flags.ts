// The flags of stop and restart (Docker's -t and -s), and the note both
// write when the grace period ran out.
import type { StopOptions } from "../client/client.js";
import { stringOption, type CommandContext } from "./command.js";
import type { OptionSpec } from "./parse-argv.js";
import { parseCount } from "./parse-count.js";
import { UsageError } from "./usage-error.js";

export const STOP_FLAGS: OptionSpec[] = [
  { name: "time", short: "t", type: "string", value: "SECONDS", help: "seconds to wait for an exit before SIGKILL (default 10; 0 kills at once)" },
  { name: "signal", short: "s", type: "string", value: "SIG", help: "signal to send first (default: the container's --stop-signal, else SIGTERM)" },
];

// stopOptionsOf leaves out what was not given, so the daemon's defaults
// (its timeout, the container's stop signal) apply.
export function stopOptionsOf(ctx: CommandContext): StopOptions {
  const time = stringOption(ctx, "time");
  const signal = stringOption(ctx, "signal");
  if (signal === "") throw new UsageError("--signal needs a signal (TERM, 15)");
  return {
    ...(time !== undefined && { timeoutSeconds: parseCount(time, "--time") }),
    ...(signal !== undefined && { signal }),
  };
}

// writeKilledNote tells the user a container had to be killed, which is
// news unless they asked for it with -t 0; stdout keeps only the ids.
export function writeKilledNote(ctx: CommandContext, id: string, options: StopOptions, stopSignal: string): void {
  if (options.timeoutSeconds === 0) return;
  const signal = options.signal ?? stopSignal;
  ctx.stderr.write(`berth: container ${id} did not exit within the timeout after ${signal || "SIGTERM"}: killed\n`);
}
