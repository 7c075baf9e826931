// The resource limit flags shared by run and update, and their translation
// into the Resources message.
import type { ResourceOptions } from "../client/client.js";
import { stringOption, type CommandContext } from "./command.js";
import type { OptionSpec } from "./parse-argv.js";
import { parseSize } from "./parse-size.js";
import { UsageError } from "./usage-error.js";

// CFS period berth uses for --cpus, the kernel's and docker's default.
const CPU_PERIOD_US = 100_000;

export const RESOURCE_FLAGS: OptionSpec[] = [
  { name: "memory", short: "m", type: "string", value: "BYTES", help: "memory limit (64m, 1g)" },
  { name: "cpus", type: "string", value: "N", help: "CPU limit in cores (0.5 = half a core)" },
  { name: "pids-limit", type: "string", value: "N", help: "maximum number of processes" },
];

// resourcesOf returns the limits the flags ask for, or undefined for none.
export function resourcesOf(ctx: CommandContext): ResourceOptions | undefined {
  const out: ResourceOptions = {};
  const memory = stringOption(ctx, "memory");
  if (memory !== undefined) out.memoryLimitBytes = parseSize(memory, "--memory");
  const cpus = stringOption(ctx, "cpus");
  if (cpus !== undefined) {
    const cores = Number(cpus);
    if (!(cores > 0) || !Number.isFinite(cores)) throw new UsageError(`--cpus ${JSON.stringify(cpus)} must be a positive number of cores`);
    out.cpuQuotaUs = BigInt(Math.round(cores * CPU_PERIOD_US));
    out.cpuPeriodUs = BigInt(CPU_PERIOD_US);
  }
  const pids = stringOption(ctx, "pids-limit");
  if (pids !== undefined) {
    if (!/^-?\d+$/.test(pids)) throw new UsageError(`--pids-limit ${JSON.stringify(pids)} must be a whole number (-1 for no limit)`);
    out.pidsLimit = BigInt(pids);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}
