// The resource limit flags shared by run and update, and their translation
// into the Resources message. The names are Docker's: --cpus is a number
// of CPUs, --cpuset-cpus a list of them. Ranges are left to the daemon,
// which knows the host (how many CPUs it has, whether it can weigh I/O).
import type { ResourceOptions } from "../client/client.js";
import { stringOption, type CommandContext } from "./command.js";
import { parseCount } from "./parse-count.js";
import type { OptionSpec } from "./parse-argv.js";
import { parseSize } from "./parse-size.js";
import { UsageError } from "./usage-error.js";

export const RESOURCE_FLAGS: OptionSpec[] = [
  { name: "memory", short: "m", type: "string", value: "BYTES", help: "memory limit (64m, 1g)" },
  { name: "memory-reservation", type: "string", value: "BYTES", help: "memory soft limit, at most --memory (32m)" },
  { name: "cpus", type: "string", value: "N", help: "CPU limit in CPUs (0.5 = half a CPU)" },
  { name: "cpuset-cpus", type: "string", value: "LIST", help: "CPUs the container may run on (0-1, 0,2)" },
  { name: "blkio-weight", type: "string", value: "N", help: "block I/O weight, 10 to 1000" },
  { name: "pids-limit", type: "string", value: "N", help: "maximum number of processes" },
];

// RESOURCE_FLAG_NAMES lists the flags for messages ("--memory, --cpus, ...").
export const RESOURCE_FLAG_NAMES = RESOURCE_FLAGS.map((f) => `--${f.name}`).join(", ");

// resourcesOf returns the limits the flags ask for, or undefined for none.
export function resourcesOf(ctx: CommandContext): ResourceOptions | undefined {
  const out: ResourceOptions = {};
  const memory = stringOption(ctx, "memory");
  if (memory !== undefined) out.memoryLimitBytes = parseSize(memory, "--memory");
  const reservation = stringOption(ctx, "memory-reservation");
  if (reservation !== undefined) out.memoryReservationBytes = parseSize(reservation, "--memory-reservation");
  const cpus = stringOption(ctx, "cpus");
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (cpus.trim() === "" || !(n > 0) || !Number.isFinite(n)) throw new UsageError(`--cpus ${JSON.stringify(cpus)} must be a positive number of CPUs (1.5)`);
    out.cpus = n;
  }
  const cpuset = stringOption(ctx, "cpuset-cpus");
  if (cpuset !== undefined) out.cpusetCpus = cpuset;
  const weight = stringOption(ctx, "blkio-weight");
  if (weight !== undefined) out.blkioWeight = parseCount(weight, "--blkio-weight");
  const pids = stringOption(ctx, "pids-limit");
  if (pids !== undefined) {
    if (!/^-?\d+$/.test(pids)) throw new UsageError(`--pids-limit ${JSON.stringify(pids)} must be a whole number (-1 for no limit)`);
    out.pidsLimit = BigInt(pids);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}
