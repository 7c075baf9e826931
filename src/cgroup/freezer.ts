import { BerthError } from "../errors/berth-error.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { KeptFile } from "./kept-file.js";

// "freezing" is a freeze asked for that has not yet reached every task.
export type FreezerState = "thawed" | "freezing" | "frozen";

// freezerState tells whether a container's cgroup is paused, without
// spawning `runc state`. It uses the v1 freezer when mounted (runc pauses
// through it on v1 and hybrid hosts), else the cgroup2 cgroup.freeze and
// cgroup.events. A root cgroup, which cannot be frozen, has no freezer file
// and reads as "thawed". It throws failed_precondition when the cgroup is
// gone and unavailable when the host has no freezer at all.
export function freezerState(paths: CgroupPaths): FreezerState {
  const v1 = paths.mode === "v2" ? undefined : paths.controllers["freezer"];
  if (v1 !== undefined) {
    const state = KeptFile.readOnce(v1, "freezer.state");
    return state === undefined ? "thawed" : parseV1FreezerState(state);
  }
  if (paths.unified === undefined) {
    throw new BerthError("unavailable", "this host has no cgroup freezer");
  }
  const freeze = KeptFile.readOnce(paths.unified, "cgroup.freeze");
  if (freeze === undefined) return "thawed";
  const events = KeptFile.readOnce(paths.unified, "cgroup.events") ?? "";
  return parseV2FreezerState(freeze, events);
}

// parseV1FreezerState reads freezer.state: THAWED, FREEZING or FROZEN.
export function parseV1FreezerState(text: string): FreezerState {
  switch (text.trim()) {
    case "THAWED":
      return "thawed";
    case "FREEZING":
      return "freezing";
    case "FROZEN":
      return "frozen";
    default:
      throw new BerthError("internal", `unknown freezer.state ${JSON.stringify(text.trim())}`);
  }
}

// parseV2FreezerState combines cgroup.freeze (what was asked: 0 or 1) with the
// "frozen" line of cgroup.events (what the kernel has done).
export function parseV2FreezerState(freeze: string, events: string): FreezerState {
  const frozen = /^frozen 1$/m.test(events);
  if (freeze.trim() === "1") return frozen ? "frozen" : "freezing";
  return "thawed";
}
