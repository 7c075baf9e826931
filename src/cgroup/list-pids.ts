import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BerthError } from "../errors/berth-error.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { cgroupGone, isGoneError } from "./kept-file.js";

// The v1 hierarchies that runc always joins, in order of preference.
const V1_HIERARCHIES = ["pids", "freezer", "memory", "cpu", "name=systemd"];

// listCgroupPids lists the processes of a container: those in its cgroup and
// in every cgroup below it (a container may make its own), as `runc ps`
// does, sorted and without repeats (a v1 cgroup.procs may repeat a pid).
// It throws failed_precondition when the cgroup is gone.
export function listCgroupPids(paths: CgroupPaths): number[] {
  const root = pidsHierarchy(paths);
  const pids = new Set<number>();
  collect(root, pids, true);
  return [...pids].sort((a, b) => a - b);
}

// pidsHierarchy picks the unified directory on v2 hosts and a v1 hierarchy
// otherwise, since a hybrid host's unified tree may not track every process.
function pidsHierarchy(paths: CgroupPaths): string {
  if (paths.mode === "v2" && paths.unified !== undefined) return paths.unified;
  for (const name of V1_HIERARCHIES) {
    const dir = paths.controllers[name];
    if (dir !== undefined) return dir;
  }
  if (paths.unified !== undefined) return paths.unified;
  throw new BerthError("failed_precondition", "the container has no cgroup to list processes from");
}

// collect walks dir depth first. Below the top, a cgroup that vanishes
// mid-walk is one whose processes all exited, so it is skipped.
function collect(dir: string, pids: Set<number>, top: boolean): void {
  let procs: string;
  let children: string[];
  try {
    procs = readFileSync(join(dir, "cgroup.procs"), "latin1");
    children = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch (err) {
    if (!isGoneError(err)) throw BerthError.from(err);
    if (top) throw cgroupGone(dir, err);
    return;
  }
  for (const pid of parsePids(procs)) pids.add(pid);
  for (const child of children) collect(join(dir, child), pids, false);
}

// parsePids reads the one-pid-per-line text of cgroup.procs.
export function parsePids(text: string): number[] {
  const pids: number[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const pid = Number(line);
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new BerthError("internal", `malformed pid in cgroup.procs: ${JSON.stringify(line)}`);
    }
    pids.push(pid);
  }
  return pids;
}
