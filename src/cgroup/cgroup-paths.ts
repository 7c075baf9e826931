import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { BerthError } from "../errors/berth-error.js";
import { parseCgroupMounts, v1Controllers, type CgroupMount } from "./parse-mountinfo.js";
import { parseProcCgroup } from "./parse-proc-cgroup.js";

// "hybrid" is v1 controllers plus a cgroup2 hierarchy (usually at
// /sys/fs/cgroup/unified) that carries no controllers of its own.
export type CgroupMode = "v1" | "v2" | "hybrid";

// CgroupPaths are the absolute directories of one process's cgroups.
export interface CgroupPaths {
  mode: CgroupMode;
  // controllers maps each v1 controller to its directory; controllers that
  // share a mount ("cpu,cpuacct") both map to the same directory.
  controllers: Record<string, string>;
  // unified is the cgroup2 directory, when a cgroup2 hierarchy is mounted.
  unified?: string;
}

// cgroupModeOf tells the host's layout from its cgroup mounts. A v1 mount that
// carries only a named hierarchy (name=systemd) does not make a host v1.
export function cgroupModeOf(mounts: CgroupMount[]): CgroupMode {
  const v1 = mounts.some((m) => m.version === 1 && v1Controllers(m).some((c) => !c.startsWith("name=")));
  const v2 = mounts.some((m) => m.version === 2);
  if (v1) return v2 ? "hybrid" : "v1";
  if (v2) return "v2";
  throw new BerthError("unavailable", "no cgroup filesystem is mounted");
}

// resolveCgroupPaths joins a process's cgroup lines with the mounts that show
// them. Pure: it takes the parsed mounts and the text of /proc/<pid>/cgroup.
// A hierarchy with no mount that reaches the process's cgroup is left out.
export function resolveCgroupPaths(mounts: CgroupMount[], procCgroup: string): CgroupPaths {
  const paths: CgroupPaths = { mode: cgroupModeOf(mounts), controllers: {} };
  for (const entry of parseProcCgroup(procCgroup)) {
    if (entry.controllers.length === 0) {
      const dir = firstReachable(mounts.filter((m) => m.version === 2), entry.path);
      if (dir !== undefined) paths.unified = dir;
      continue;
    }
    const holders = mounts.filter(
      (m) => m.version === 1 && entry.controllers.every((c) => m.superOptions.includes(c)),
    );
    const dir = firstReachable(holders, entry.path);
    if (dir === undefined) continue;
    for (const controller of entry.controllers) paths.controllers[controller] = dir;
  }
  return paths;
}

function firstReachable(mounts: CgroupMount[], cgroupPath: string): string | undefined {
  for (const mount of mounts) {
    const dir = dirThrough(mount, cgroupPath);
    if (dir !== undefined) return dir;
  }
  return undefined;
}

// dirThrough maps a cgroup path onto a mount, which only shows the subtree
// below its root; paths outside it (a "/.." from another cgroup namespace,
// a sibling of a bind-mounted subtree) are not reachable through it.
function dirThrough(mount: CgroupMount, cgroupPath: string): string | undefined {
  const root = mount.root === "/" ? "" : mount.root;
  if (root !== "" && cgroupPath !== root && !cgroupPath.startsWith(root + "/")) return undefined;
  const base = trimSlash(mount.mountPoint);
  const dir = trimSlash(posix.join(base, cgroupPath.slice(root.length)));
  return dir === base || dir.startsWith(base + "/") ? dir : undefined;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

// Mount points do not change for the life of the daemon, so mountinfo is
// parsed once per process.
let hostMounts: CgroupMount[] | undefined;

function cgroupMounts(): CgroupMount[] {
  hostMounts ??= parseCgroupMounts(readFileSync("/proc/self/mountinfo", "utf8"));
  return hostMounts;
}

// detectCgroupMode tells this host's cgroup layout.
export function detectCgroupMode(): CgroupMode {
  return cgroupModeOf(cgroupMounts());
}

// findCgroupPaths finds the cgroup directories of a live process.
export function findCgroupPaths(pid: number): CgroupPaths {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new BerthError("invalid_argument", `invalid pid ${pid}`);
  }
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") {
      throw new BerthError("failed_precondition", `process ${pid} is not running`, { cause: err });
    }
    throw BerthError.from(err);
  }
  return resolveCgroupPaths(cgroupMounts(), text);
}
