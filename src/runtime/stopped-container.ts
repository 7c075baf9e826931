// removeStoppedContainer does what `runc delete` does to a container whose
// init process has ended, without spawning runc: libcontainer's destroy()
// for the stopped state removes the container's cgroups (the paths its
// state.json lists) and its state folder, and runs poststop hooks. It
// only acts when it can be sure it does all of it, and otherwise returns
// false for the caller to run `runc delete --force`:
// - the init process (state.json's pid and start time) has ended, as
//   runc's runType() decides "stopped";
// - the container had a pid namespace of its own, so no process of it can
//   outlive its init (runc SIGKILLs the cgroup's processes otherwise);
// - cgroupfs, not systemd's units; no Intel RDT group; no poststop hooks
//   in runc's config (berth runs those itself);
// - every cgroup folder is empty and goes (one still busy is runc's to
//   retry and kill).
// A crash half-way leaves the state folder, and the next delete (restore)
// runs again and finds the cgroups already gone.
import { readFile, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";

import { isGone } from "./proc-stat.js";

interface RuncStateFile {
  init_process_pid?: unknown;
  init_process_start?: unknown;
  cgroup_paths?: unknown;
  intel_rdt_path?: unknown;
  config?: {
    namespaces?: Array<{ type?: unknown; path?: unknown }>;
    cgroups?: { Systemd?: unknown };
    Hooks?: { poststop?: unknown[] } | null;
  };
}

export async function removeStoppedContainer(stateDir: string): Promise<boolean> {
  let state: RuncStateFile;
  try {
    state = JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")) as RuncStateFile;
  } catch {
    return false;
  }
  const pid = state.init_process_pid;
  const start = state.init_process_start;
  const paths = state.cgroup_paths;
  const config = state.config;
  if (typeof pid !== "number" || typeof start !== "number" || paths === null || typeof paths !== "object" || config === undefined) return false;
  const cgroups = [...new Set(Object.values(paths as Record<string, unknown>))];
  if (!cgroups.every((p): p is string => typeof p === "string" && p.startsWith("/sys/fs/cgroup/"))) return false;
  const ownPidNamespace = (config.namespaces ?? []).some((ns) => ns.type === "NEWPID" && (ns.path === undefined || ns.path === ""));
  const poststop = config.Hooks?.poststop ?? [];
  if (!ownPidNamespace || config.cgroups?.Systemd !== false || (state.intel_rdt_path ?? "") !== "" || poststop.length > 0) return false;
  if (!isGone(pid, start)) return false;
  const removed = await Promise.all(cgroups.map(removeCgroup));
  if (!removed.every(Boolean)) return false;
  await rm(stateDir, { recursive: true, force: true });
  return true;
}

// removeCgroup removes an empty cgroup folder; false when it is not empty.
async function removeCgroup(path: string): Promise<boolean> {
  try {
    await rmdir(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
}
