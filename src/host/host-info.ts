// readHostInfo gathers what Info says about the host (as against the
// daemon): kernel, OS, CPUs, memory, cgroups. A fact that cannot be read is
// left empty with a warning naming why, so Info still answers.
import * as os from "node:os";

import { detectCgroupMode } from "../cgroup/cgroup-paths.js";
import { readMemorySupport } from "./cgroup-support.js";
import { readMemTotal } from "./meminfo.js";
import { readOsRelease } from "./os-release.js";

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  osType: string;
  // architecture is uname -m's name (x86_64, aarch64), not Node's (x64).
  architecture: string;
  ncpu: number;
  memTotalBytes: bigint;
  name: string;
  cgroupMode: string;
  memoryLimit: boolean;
  swapLimit: boolean;
  warnings: string[];
}

export async function readHostInfo(): Promise<HostFacts> {
  const warnings: string[] = [];
  const orWarn = async <T>(what: string, fallback: T, read: () => T | Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      warnings.push(`cannot read ${what}: ${err instanceof Error ? err.message : String(err)}`);
      return fallback;
    }
  };
  const [release, memTotalBytes, memory, cgroupMode] = await Promise.all([
    orWarn("os-release", { prettyName: "Linux", versionId: "" }, () => readOsRelease()),
    orWarn("total memory", 0n, () => readMemTotal()),
    orWarn("memory cgroup support", { memoryLimit: false, swapLimit: false }, () => readMemorySupport()),
    orWarn("cgroup mode", "", detectCgroupMode),
  ]);
  // Docker's words: its users grep for them.
  if (!memory.memoryLimit) warnings.push("no memory limit support");
  else if (!memory.swapLimit) warnings.push("no swap limit support");
  return {
    kernelVersion: os.release(),
    operatingSystem: release.prettyName,
    osVersion: release.versionId,
    osType: os.platform(),
    architecture: os.machine(),
    // The CPUs this process may run on (sched_getaffinity), as Docker's
    // NCPU (Go's runtime.NumCPU) and nproc count them: a container's
    // limits are set within those, not within every CPU the host has.
    ncpu: os.availableParallelism(),
    memTotalBytes,
    name: os.hostname(),
    cgroupMode,
    ...memory,
    warnings,
  };
}
