// applyResources changes a running container's limits by writing its cgroup
// files, as `runc update` does, without spawning runc: the kernel applies a
// limit in microseconds. -1 means "no limit".
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { BerthError } from "../errors/berth-error.js";
import type { CheckedResources } from "../spec/resources.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { cgroupGone, isGoneError } from "./kept-file.js";

type Write = [dir: string | undefined, file: string, value: string, what: string];

export function applyResources(paths: CgroupPaths, r: CheckedResources): void {
  const writes = paths.mode === "v2" || paths.controllers["memory"] === undefined ? v2Writes(paths, r) : v1Writes(paths, r);
  for (const w of writes) write(w);
}

function v1Writes(paths: CgroupPaths, r: CheckedResources): Write[] {
  const mem = paths.controllers["memory"];
  const cpu = paths.controllers["cpu"];
  const writes: Write[] = [];
  const memory: Write | undefined = r.memory !== undefined ? [mem, "memory.limit_in_bytes", String(r.memory), "memory_limit_bytes"] : undefined;
  const swap: Write | undefined = r.swap !== undefined ? [mem, "memory.memsw.limit_in_bytes", String(r.swap), "memory_swap_limit_bytes"] : undefined;
  // memsw must stay >= the memory limit at every moment: raise it first when
  // growing, lower the memory limit first when shrinking.
  if (memory && swap) writes.push(...(r.memory! > currentV1(mem!, "memory.memsw.limit_in_bytes") || r.memory === -1 ? [swap, memory] : [memory, swap]));
  else if (memory) writes.push(memory);
  else if (swap) writes.push(swap);
  if (r.shares !== undefined) writes.push([cpu, "cpu.shares", String(r.shares), "cpu_shares"]);
  if (r.period !== undefined) writes.push([cpu, "cpu.cfs_period_us", String(r.period), "cpu_period_us"]);
  if (r.quota !== undefined) writes.push([cpu, "cpu.cfs_quota_us", String(r.quota), "cpu_quota_us"]);
  if (r.pids !== undefined) writes.push([paths.controllers["pids"], "pids.max", limit(r.pids), "pids_limit"]);
  if (r.cpus !== undefined) writes.push([paths.controllers["cpuset"], "cpuset.cpus", r.cpus, "cpuset_cpus"]);
  return writes;
}

function v2Writes(paths: CgroupPaths, r: CheckedResources): Write[] {
  const dir = paths.unified;
  const writes: Write[] = [];
  if (r.memory !== undefined) writes.push([dir, "memory.max", limit(r.memory), "memory_limit_bytes"]);
  if (r.swap !== undefined) {
    // cgroup v2 counts swap apart from memory; the API counts memory+swap.
    const memory = r.memory ?? Number(readFileSync(join(dir!, "memory.max"), "utf8").trim());
    writes.push([dir, "memory.swap.max", r.swap === -1 || !Number.isFinite(memory) ? "max" : String(Math.max(0, r.swap - memory)), "memory_swap_limit_bytes"]);
  }
  if (r.shares !== undefined) writes.push([dir, "cpu.weight", String(Math.round(1 + ((r.shares - 2) * 9999) / 262142)), "cpu_shares"]);
  if (r.quota !== undefined || r.period !== undefined) {
    const [q, p] = readFileSync(join(dir!, "cpu.max"), "utf8").trim().split(" ");
    const quota = r.quota === undefined ? q : r.quota === -1 ? "max" : String(r.quota);
    writes.push([dir, "cpu.max", `${quota} ${r.period ?? p}`, "cpu_quota_us"]);
  }
  if (r.pids !== undefined) writes.push([dir, "pids.max", limit(r.pids), "pids_limit"]);
  if (r.cpus !== undefined) writes.push([dir, "cpuset.cpus", r.cpus, "cpuset_cpus"]);
  return writes;
}

function limit(n: number): string {
  return n === -1 ? "max" : String(n);
}

function currentV1(dir: string, file: string): number {
  return Number(readFileSync(join(dir, file), "utf8").trim());
}

function write([dir, file, value, what]: Write): void {
  if (dir === undefined) throw new BerthError("unavailable", `this host has no cgroup controller for ${what}: ${file} cannot be set`);
  try {
    writeFileSync(join(dir, file), value);
  } catch (err) {
    if (isGoneError(err)) throw cgroupGone(dir, err);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EBUSY") throw new BerthError("failed_precondition", `cannot set ${what} to ${value}: the container uses more than that now (${file} refused it)`);
    if (code === "EINVAL" || code === "EACCES" || code === "ENOENT") throw new BerthError("invalid_argument", `cannot set ${what} to ${value}: the kernel refused it (${file}: ${code})`);
    throw new BerthError("internal", `cannot write ${value} to ${join(dir, file)}: ${(err as Error).message}`, { cause: err });
  }
}
