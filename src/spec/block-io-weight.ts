// Whether this host can weigh a container's block I/O, asked before runc
// is. runc 1.1 writes the weight to blkio.weight, else blkio.bfq.weight
// (cgroup v1), or io.bfq.weight, else io.weight (v2), and fails Create
// with ENOENT when the kernel has none of them: blkio.weight exists only
// with the CFQ scheduler (gone since Linux 5.0), the bfq files only while
// BFQ is loaded, and io.weight only with iocost (v2). A host whose disks
// run mq-deadline, kyber or none has no weight at all.
import { access, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { type BerthError, failedPrecondition } from "../errors/berth-error.js";

// The weight files in the order runc picks them. The bfq files and v1's
// blkio.weight take the weight as given (10 to 1000); io.weight takes
// 1 to 10000 (see toIoWeight).
export const V1_WEIGHT_FILES: readonly string[] = ["blkio.weight", "blkio.bfq.weight"];
export const V2_WEIGHT_FILES: readonly string[] = ["io.bfq.weight", "io.weight"];

// The kernel shows per-cgroup files only in cgroups below the root
// (CFTYPE_NOT_ON_ROOT), so the probe looks into a few of those.
const CHILDREN_PROBED = 16;

// noBlockIoWeight is the refusal for a host whose kernel has no weight file.
export function noBlockIoWeight(field: string, weight: number, files: readonly string[]): BerthError {
  return failedPrecondition(
    `${field} ${weight}: this host cannot weigh block I/O: its cgroups have no ${files.join(" or ")} (the kernel has them only with the BFQ I/O scheduler, or CFQ before Linux 5.0, or iocost on cgroup v2); leave the weight unset`,
  );
}

// checkBlockIoWeightOnHost throws FAILED_PRECONDITION unless a container
// made here could be given a block I/O weight. mountinfo is the text of
// /proc/self/mountinfo, read when not given.
export async function checkBlockIoWeightOnHost(field: string, weight: number, mountinfo?: string): Promise<void> {
  const hierarchy = weightHierarchy(mountinfo ?? (await readFile("/proc/self/mountinfo", "utf8")));
  if (hierarchy === undefined) throw noBlockIoWeight(field, weight, V1_WEIGHT_FILES);
  if (!(await hasWeightFile(hierarchy))) throw noBlockIoWeight(field, weight, hierarchy.files);
}

interface Hierarchy {
  root: string;
  files: readonly string[];
  version: 1 | 2;
}

// weightHierarchy picks the hierarchy runc puts the weight in: the v1 blkio
// controller; or, on a host with no v1 controllers at all, cgroup2. A v1
// host without blkio has none (runc then drops the weight unapplied).
function weightHierarchy(mountinfo: string): Hierarchy | undefined {
  let unified: string | undefined;
  let v1 = false;
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-", 6);
    if (dash < 0) continue;
    const fsType = fields[dash + 1];
    const mountPoint = unescapeOctal(fields[4] ?? "");
    if (fsType === "cgroup2") unified ??= mountPoint;
    if (fsType !== "cgroup") continue;
    const options = (fields[dash + 3] ?? "").split(",");
    if (options.includes("blkio")) return { root: mountPoint, files: V1_WEIGHT_FILES, version: 1 };
    if (options.some((o) => V1_CONTROLLERS.has(o))) v1 = true;
  }
  return v1 || unified === undefined ? undefined : { root: unified, files: V2_WEIGHT_FILES, version: 2 };
}

const V1_CONTROLLERS = new Set(["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "pids", "rdma", "misc"]);

async function hasWeightFile(h: Hierarchy): Promise<boolean> {
  if (h.version === 2) {
    const controllers = await readFile(join(h.root, "cgroup.controllers"), "utf8").catch(() => "");
    if (!controllers.split(/\s+/).includes("io")) return false;
    // iocost's root-only files tell that io.weight exists below the root,
    // even when no child has the io controller enabled yet (runc enables it).
    if (await exists(join(h.root, "io.cost.qos"))) return true;
  }
  const children = await readdir(h.root, { withFileTypes: true }).catch(() => []);
  const dirs = [h.root, ...children.filter((e) => e.isDirectory()).slice(0, CHILDREN_PROBED).map((e) => join(h.root, e.name))];
  for (const dir of dirs) {
    for (const file of h.files) if (await exists(join(dir, file))) return true;
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

// The kernel writes space, tab, newline and backslash in mountinfo paths
// as \ooo.
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

// toIoWeight converts a blkio weight (10 to 1000, default 500) to cgroup
// v2's io.weight (1 to 10000, default 100) as runc does
// (cgroups.ConvertBlkIOToIOWeightValue), so berth and runc agree.
export function toIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

// fromIoWeight is toIoWeight's inverse, for Stats.
export function fromIoWeight(ioWeight: number): number {
  return Math.round(10 + ((ioWeight - 1) * 990) / 9999);
}
