// ContainerCgroup is a container's access to its cgroup: found once from
// the init process's pid, read for stats and pids, written for limits and
// the freezer. A new run may land in a new cgroup path, so forget() drops
// what was found when a run ends.
import { applyResources } from "../cgroup/apply-resources.js";
import { findCgroupPaths, type CgroupPaths } from "../cgroup/cgroup-paths.js";
import { freezeCgroup } from "../cgroup/freeze-cgroup.js";
import { listCgroupPids } from "../cgroup/list-pids.js";
import { CgroupStatsReader } from "../cgroup/stats-reader.js";
import { failedPrecondition, isBerthError } from "../errors/berth-error.js";
import type { Stats } from "../gen/berth/v1/types_pb.js";
import type { CheckedResources } from "../spec/resources.js";

export class ContainerCgroup {
  private found: CgroupPaths | undefined;
  private statsReader: CgroupStatsReader | undefined;

  constructor(
    private readonly id: string,
    // pid is the init process's current pid.
    private readonly pid: () => number,
  ) {}

  paths(): CgroupPaths {
    try {
      this.found ??= findCgroupPaths(this.pid());
    } catch (err) {
      if (isBerthError(err, "failed_precondition")) throw failedPrecondition(`container ${this.id} is not running: its init process is gone`);
      throw err;
    }
    return this.found;
  }

  stats(): Stats {
    try {
      this.statsReader ??= new CgroupStatsReader(this.paths());
      return this.statsReader.read();
    } catch (err) {
      this.forget();
      throw err;
    }
  }

  pids(): number[] {
    return listCgroupPids(this.paths());
  }

  apply(r: CheckedResources): void {
    applyResources(this.paths(), r);
  }

  freeze(frozen: boolean): Promise<void> {
    return freezeCgroup(this.paths(), frozen);
  }

  // thawIfKnown thaws the cgroup last found, if any: best effort, for a
  // container whose init already exited (its pid names no cgroup now).
  async thawIfKnown(): Promise<void> {
    if (this.found === undefined) return;
    await freezeCgroup(this.found, false).catch(() => {});
  }

  forget(): void {
    this.statsReader?.close();
    this.statsReader = undefined;
    this.found = undefined;
  }
}
