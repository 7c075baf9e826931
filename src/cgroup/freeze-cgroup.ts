// freezeCgroup pauses or resumes every process of a container by writing its
// freezer directly, as runc does inside `runc pause`, without the cost of
// spawning runc (milliseconds) for what the kernel does in microseconds.
// runc reads the same freezer to report "paused", so `runc state` agrees.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { BerthError } from "../errors/berth-error.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { freezerState, type FreezerState } from "./freezer.js";
import { cgroupGone, isGoneError } from "./kept-file.js";

// A freeze waits for every task to stop; tasks in uninterruptible sleep may
// take a while, as runc allows.
const FREEZE_TIMEOUT_MS = 10_000;

export async function freezeCgroup(paths: CgroupPaths, frozen: boolean): Promise<void> {
  const target: FreezerState = frozen ? "frozen" : "thawed";
  const v1 = paths.mode === "v2" ? undefined : paths.controllers["freezer"];
  const [dir, file, value] =
    v1 !== undefined ? [v1, "freezer.state", frozen ? "FROZEN" : "THAWED"] : [paths.unified, "cgroup.freeze", frozen ? "1" : "0"];
  if (dir === undefined) throw new BerthError("unavailable", "this host has no cgroup freezer: cannot pause or resume");
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      // v1 may stay in FREEZING when a task is busy; writing again retries.
      writeFileSync(join(dir, file), value);
    } catch (err) {
      if (isGoneError(err)) throw cgroupGone(dir, err);
      throw new BerthError("internal", `cannot write ${value} to ${join(dir, file)}: ${(err as Error).message}`, { cause: err });
    }
    if (freezerState(paths) === target) return;
    if (Date.now() > deadline) {
      if (frozen) writeFileSync(join(dir, file), v1 !== undefined ? "THAWED" : "0");
      throw new BerthError("internal", `the container's processes did not ${frozen ? "freeze" : "thaw"} within ${FREEZE_TIMEOUT_MS / 1000}s`);
    }
    await new Promise((r) => setTimeout(r, Math.min(1 + attempt, 10)));
  }
}
