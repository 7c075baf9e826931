// applyResources changes a running container's limits by writing its cgroup
// files, as `runc update` does, without spawning runc: the kernel applies a
// limit in microseconds. -1 means "no limit". Every check against the
// container's current limits runs before the first write, so a refused
// update changes nothing.
import { accessSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { BerthError, invalidArgument } from "../errors/berth-error.js";
import { V1_WEIGHT_FILES, V2_WEIGHT_FILES, noBlockIoWeight, toIoWeight } from "../spec/block-io-weight.js";
import type { CheckedResources } from "../spec/resources.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { KeptFile, cgroupGone, isGoneError } from "./kept-file.js";

type Write = [dir: string | undefined, file: string, value: string, what: string];

// Limits at or above 2^62 are the kernel's "no limit" (PAGE_COUNTER_MAX
// times the page size); v1 shows it as a number, v2 as "max".
const UNLIMITED_FROM = 2 ** 62;

export function applyResources(paths: CgroupPaths, r: CheckedResources): void {
  const writes = paths.mode === "v2" || paths.controllers["memory"] === undefined ? v2Writes(paths, r) : v1Writes(paths, r);
  for (const w of writes) write(w);
}

function v1Writes(paths: CgroupPaths, r: CheckedResources): Write[] {
  const mem = paths.controllers["memory"];
  const cpu = paths.controllers["cpu"];
  checkReservation(r, () => currentLimit(mem, "memory.limit_in_bytes"), () => currentLimit(mem, "memory.soft_limit_in_bytes"));
  const writes: Write[] = [];
  const memory: Write | undefined = r.memory !== undefined ? [mem, "memory.limit_in_bytes", String(r.memory), "memory_limit_bytes"] : undefined;
  const swap: Write | undefined = r.swap !== undefined ? [mem, "memory.memsw.limit_in_bytes", String(r.swap), "memory_swap_limit_bytes"] : undefined;
  // memsw must stay >= the memory limit at every moment: raise it first when
  // growing, lower the memory limit first when shrinking.
  if (memory && swap) writes.push(...(r.memory! > currentV1(mem!, "memory.memsw.limit_in_bytes") || r.memory === -1 ? [swap, memory] : [memory, swap]));
  else if (memory) writes.push(memory);
  else if (swap) writes.push(swap);
  // The kernel reads -1 as no soft limit.
  if (r.reservation !== undefined) writes.push([mem, "memory.soft_limit_in_bytes", String(r.reservation), "memory_reservation_bytes"]);
  if (r.shares !== undefined) writes.push([cpu, "cpu.shares", String(r.shares), "cpu_shares"]);
  if (r.period !== undefined) writes.push([cpu, "cpu.cfs_period_us", String(r.period), "cpu_period_us"]);
  if (r.quota !== undefined) writes.push([cpu, "cpu.cfs_quota_us", String(r.quota), "cpu_quota_us"]);
  if (r.pids !== undefined) writes.push([paths.controllers["pids"], "pids.max", limit(r.pids), "pids_limit"]);
  if (r.cpuset !== undefined) writes.push([paths.controllers["cpuset"], "cpuset.cpus", r.cpuset, "cpuset_cpus"]);
  if (r.blkioWeight !== undefined) {
    const dir = paths.controllers["blkio"];
    const file = firstPresent(dir, V1_WEIGHT_FILES);
    if (file === undefined) throw noBlockIoWeight("blkio_weight", r.blkioWeight, V1_WEIGHT_FILES);
    writes.push([dir, file, String(r.blkioWeight), "blkio_weight"]);
  }
  return writes;
}

function v2Writes(paths: CgroupPaths, r: CheckedResources): Write[] {
  const dir = paths.unified;
  checkReservation(r, () => currentLimit(dir, "memory.max"), () => currentLimit(dir, "memory.low"));
  const writes: Write[] = [];
  if (r.memory !== undefined) writes.push([dir, "memory.max", limit(r.memory), "memory_limit_bytes"]);
  if (r.swap !== undefined) {
    // cgroup v2 counts swap apart from memory; the API counts memory+swap.
    const memory = r.memory ?? Number(readFileSync(join(dir!, "memory.max"), "utf8").trim());
    writes.push([dir, "memory.swap.max", r.swap === -1 || !Number.isFinite(memory) ? "max" : String(Math.max(0, r.swap - memory)), "memory_swap_limit_bytes"]);
  }
  // memory.low protects the memory below it; no reservation is 0, not max.
  if (r.reservation !== undefined) writes.push([dir, "memory.low", r.reservation === -1 ? "0" : String(r.reservation), "memory_reservation_bytes"]);
  if (r.shares !== undefined) writes.push([dir, "cpu.weight", String(Math.round(1 + ((r.shares - 2) * 9999) / 262142)), "cpu_shares"]);
  if (r.quota !== undefined || r.period !== undefined) {
    const [q, p] = readFileSync(join(dir!, "cpu.max"), "utf8").trim().split(" ");
    const quota = r.quota === undefined ? q : r.quota === -1 ? "max" : String(r.quota);
    writes.push([dir, "cpu.max", `${quota} ${r.period ?? p}`, "cpu_quota_us"]);
  }
  if (r.pids !== undefined) writes.push([dir, "pids.max", limit(r.pids), "pids_limit"]);
  if (r.cpuset !== undefined) writes.push([dir, "cpuset.cpus", r.cpuset, "cpuset_cpus"]);
  if (r.blkioWeight !== undefined) {
    const file = firstPresent(dir, V2_WEIGHT_FILES);
    if (file === undefined) throw noBlockIoWeight("blkio_weight", r.blkioWeight, V2_WEIGHT_FILES);
    // BFQ takes the blkio scale as is; io.weight has its own, as in runc.
    writes.push([dir, file, String(file === "io.weight" ? toIoWeight(r.blkioWeight) : r.blkioWeight), "blkio_weight"]);
  }
  return writes;
}

// checkReservation refuses a soft limit above the hard limit, where one of
// the two comes from the update and the other from the container (an
// update giving both was checked with the request). The kernel would take
// it, and the reservation would never apply.
function checkReservation(r: CheckedResources, limitNow: () => number | undefined, reservationNow: () => number | undefined): void {
  if (r.reservation !== undefined && r.reservation !== -1 && r.memory === undefined) {
    const memory = limitNow();
    if (memory !== undefined && r.reservation > memory) {
      throw invalidArgument(
        `memory_reservation_bytes ${r.reservation} is more than the container's memory_limit_bytes ${memory}: give at most ${memory}, or raise memory_limit_bytes with it`,
      );
    }
  }
  if (r.memory !== undefined && r.memory !== -1 && r.reservation === undefined) {
    const reservation = reservationNow();
    if (reservation !== undefined && reservation > r.memory) {
      throw invalidArgument(
        `memory_limit_bytes ${r.memory} is less than the container's memory_reservation_bytes ${reservation}: give at least ${reservation}, or lower memory_reservation_bytes with it (-1 for none)`,
      );
    }
  }
}

// currentLimit reads a limit file; undefined is no limit (or no file, or a
// v2 memory.low of 0).
function currentLimit(dir: string | undefined, file: string): number | undefined {
  const text = KeptFile.readOnce(dir, file)?.trim();
  if (text === undefined || text === "max") return undefined;
  const n = Number(text);
  return !Number.isFinite(n) || n <= 0 || n >= UNLIMITED_FROM ? undefined : n;
}

// firstPresent names the first of files that dir has.
function firstPresent(dir: string | undefined, files: readonly string[]): string | undefined {
  if (dir === undefined) return undefined;
  for (const file of files) {
    try {
      accessSync(join(dir, file));
      return file;
    } catch (err) {
      if (!isGoneError(err)) throw BerthError.from(err);
      if (!existsSync(dir)) throw cgroupGone(dir, err);
    }
  }
  return undefined;
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
