// The cpus field: a CPU limit as a number of CPUs (1.5 = one and a half),
// as Docker's --cpus, which the kernel only knows as a CFS quota over a
// period.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { parseCpuList } from "./host-checks.js";

// CPU_FRACTION_PERIOD_US is the period cpus is measured over: the kernel's
// and Docker's default, so a cpus limit reads back as the usual cpu.max.
export const CPU_FRACTION_PERIOD_US = 100_000;
// The kernel refuses a CFS quota under 1 ms (cpu.cfs_quota_us: EINVAL).
const MIN_QUOTA_US = 1000;
const ONLINE_CPUS = "/sys/devices/system/cpu/online";

// cpuFractionQuota checks cpus and returns its quota in microseconds per
// CPU_FRACTION_PERIOD_US: rounded to a whole microsecond, and raised to the
// kernel's 1 ms minimum (cpus 0.001 gets 0.01 of a CPU).
export function cpuFractionQuota(cpus: number, hostCpus: () => number = onlineCpuCount): number {
  if (typeof cpus !== "number" || !Number.isFinite(cpus) || cpus <= 0) {
    throw invalidArgument(`cpus ${quote(cpus)} is not a positive number of CPUs: give e.g. 1.5 for one and a half CPUs`);
  }
  const online = hostCpus();
  if (cpus > online) {
    throw invalidArgument(`cpus ${cpus} is more than this host has: the host has ${online} CPUs online; give at most ${online}`);
  }
  return Math.max(MIN_QUOTA_US, Math.round(cpus * CPU_FRACTION_PERIOD_US));
}

// onlineCpuCount counts the host's online CPUs. It reads sysfs without
// waiting on the event loop: the kernel answers from memory, never a disk.
// A host without the file (some sandboxes) is taken at what Node sees.
export function onlineCpuCount(): number {
  let text: string;
  try {
    text = readFileSync(ONLINE_CPUS, "latin1").trim();
  } catch {
    return availableParallelism();
  }
  const ranges = parseCpuList(text);
  if (ranges === undefined) return availableParallelism();
  return ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0);
}
