// The cgroup module's public API: find a process's cgroups, read a
// container's resource use, list its processes and tell whether it is frozen.
export { findCgroupPaths, detectCgroupMode, resolveCgroupPaths, type CgroupMode, type CgroupPaths } from "./cgroup-paths.js";
export { CgroupStatsReader } from "./stats-reader.js";
export { listCgroupPids } from "./list-pids.js";
export { freezerState, type FreezerState } from "./freezer.js";
