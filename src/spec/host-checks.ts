// Checks of a spec against the host it will run on: the CPUs and memory
// nodes a cpuset names must exist and be online, and a bind mount's source
// must exist. runc would fail on each with its own stderr (INTERNAL); here
// the client hears what to change. Files are read asynchronously: a stat on
// a hung network mount must not stall the daemon.
import { readFile, stat } from "node:fs/promises";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkBlockIoWeightOnHost } from "./block-io-weight.js";
import type { OciSpec } from "./oci-spec.js";
import { isBindMount } from "./mount-rules.js";
import { CPUSET_MAX_BYTES, checkText } from "./request-limits.js";

const ONLINE_CPUS = "/sys/devices/system/cpu/online";
const ONLINE_NODES = "/sys/devices/system/node/online";
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

type Range = readonly [number, number];

// parseCpuList reads a kernel cpu list ("0-3,8,10-11") into ranges, or
// returns undefined when text is not one.
export function parseCpuList(text: string): Range[] | undefined {
  if (!CPU_LIST.test(text)) return undefined;
  const ranges: Range[] = [];
  for (const part of text.split(",")) {
    const [from, to = from] = part.split("-").map(Number) as [number, number?];
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to) return undefined;
    ranges.push([from, to]);
  }
  return ranges;
}

// checkCpuList throws unless text is a well-formed cpu list.
export function checkCpuList(field: string, text: string): Range[] {
  checkText(field, text, CPUSET_MAX_BYTES);
  const ranges = parseCpuList(text);
  if (ranges === undefined) {
    throw invalidArgument(`${field} ${quote(text)} is not a CPU list: give CPU numbers and ranges like "0", "0-1" or "0,2-3"`);
  }
  return ranges;
}

// checkCpusOnline throws unless every CPU of the list is online here.
export async function checkCpusOnline(field: string, text: string): Promise<void> {
  await checkAgainst(field, text, ONLINE_CPUS, "CPUs", "0");
}

// checkMemsOnline throws unless every memory node of the list is online
// (a host without NUMA has the one node 0 and may lack the file).
export async function checkMemsOnline(field: string, text: string): Promise<void> {
  await checkAgainst(field, text, ONLINE_NODES, "memory nodes", "0");
}

async function checkAgainst(field: string, text: string, file: string, what: string, fallback: string): Promise<void> {
  const wanted = checkCpuList(field, text);
  const onlineText = (await readFile(file, "utf8").catch(() => fallback)).trim();
  const online = parseCpuList(onlineText) ?? [];
  // Compared range by range, never expanded: "0-4294967295" costs no more
  // than "0".
  for (const [from, to] of wanted) {
    if (!online.some(([a, b]) => a <= from && to <= b)) {
      const named = from === to ? `${from}` : `${from}-${to}`;
      throw invalidArgument(`${field} ${named}: this host has ${what} ${onlineText} online; name only those`);
    }
  }
}

// checkBindSource throws unless the host path a bind mount takes exists.
export async function checkBindSource(field: string, source: string | undefined): Promise<void> {
  if (source === undefined || !source.startsWith("/")) {
    throw invalidArgument(`${field} ${quote(source)} must be an absolute path on the daemon's host`);
  }
  try {
    await stat(source);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw invalidArgument(`${field} ${quote(source)} does not exist on the daemon's host: create it first or fix the path`);
    }
    throw invalidArgument(`${field} ${quote(source)} cannot be read on the daemon's host (${code ?? (err as Error).message})`);
  }
}

// checkRootfsFolder throws INVALID_ARGUMENT when rootfs.path names something
// that exists but is not a folder (a file, /dev/null): the overlay would
// refuse it as missing, and NOT_FOUND would send the client looking for a
// path that is there. A path that does not exist is left to Create, whose
// NOT_FOUND says so; stat follows symbolic links, as the mount will.
export async function checkRootfsFolder(field: string, path: string): Promise<void> {
  if (!path.startsWith("/")) throw invalidArgument(`${field} ${quote(path)} must be an absolute path on the daemon's host`);
  const found = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return undefined;
    throw invalidArgument(`${field} ${quote(path)} cannot be read on the daemon's host (${err.code ?? err.message})`);
  });
  if (found === undefined || found.isDirectory()) return;
  const what = found.isFile() ? "a file" : found.isCharacterDevice() || found.isBlockDevice() ? "a device" : "not a folder";
  throw invalidArgument(`${field} ${quote(path)} is ${what}: give a folder holding a root filesystem (for a tar archive, use rootfs.image_path)`);
}

// checkSpecOnHost runs the host checks on a user's spec: cpus, mems, the
// block I/O weight and the source of every bind mount, named by JSON
// pointer after prefix.
export async function checkSpecOnHost(spec: OciSpec, prefix = "oci_spec_json: "): Promise<void> {
  const cpu = spec.linux?.resources?.cpu;
  if (cpu?.cpus !== undefined && cpu.cpus !== "") await checkCpusOnline(`${prefix}/linux/resources/cpu/cpus`, cpu.cpus);
  if (cpu?.mems !== undefined && cpu.mems !== "") await checkMemsOnline(`${prefix}/linux/resources/cpu/mems`, cpu.mems);
  // runc leaves a weight of 0 unwritten.
  const weight = spec.linux?.resources?.blockIO?.weight;
  if (weight !== undefined && weight !== 0) await checkBlockIoWeightOnHost(`${prefix}/linux/resources/blockIO/weight`, weight);
  const mounts = spec.mounts ?? [];
  for (let i = 0; i < mounts.length; i++) {
    const mount = mounts[i] as (typeof mounts)[number];
    if (isBindMount(mount)) await checkBindSource(`${prefix}/mounts/${i}/source`, mount.source);
  }
}
