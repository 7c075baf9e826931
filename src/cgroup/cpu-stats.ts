import { create } from "@bufbuild/protobuf";
import { BerthError } from "../errors/berth-error.js";
import { Stats_CpuSchema, type Stats_Cpu } from "../gen/berth/v1/types_pb.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { parseUint, readKeyed, readUint, type ValueSource } from "./cgroup-values.js";
import type { OpenFile } from "./kept-file.js";

// cpuacct.stat counts USER_HZ ticks. USER_HZ is 100 on every Linux ABI
// (sysconf(_SC_CLK_TCK)); Node has no sysconf, and the value is fixed.
const NS_PER_TICK = 10_000_000n;

const V1_TICKS = new Set(["user", "system"]);
const V1_THROTTLE = new Set(["nr_throttled", "throttled_time"]);
const V2_CPU = new Set(["usage_usec", "user_usec", "system_usec", "nr_throttled", "throttled_usec"]);

// openCpuStats opens the cpu files of one cgroup and returns their reader.
// A mounted v1 cpuacct wins (hybrid hosts keep controllers on v1); else the
// unified cpu.stat, which every cgroup2 directory has.
export function openCpuStats(paths: CgroupPaths, open: OpenFile): () => Stats_Cpu {
  const cpuacct = paths.controllers["cpuacct"];
  if (cpuacct === undefined) return openV2(paths.unified, open);
  const usage = open(cpuacct, "cpuacct.usage");
  const ticks = open(cpuacct, "cpuacct.stat");
  const cpu = paths.controllers["cpu"];
  const throttle = open(cpu, "cpu.stat");
  const quota = open(cpu, "cpu.cfs_quota_us");
  const period = open(cpu, "cpu.cfs_period_us");
  return () => {
    const t = readKeyed(ticks, V1_TICKS);
    const th = readKeyed(throttle, V1_THROTTLE);
    return create(Stats_CpuSchema, {
      usageNs: readUint(usage),
      userNs: (t.get("user") ?? 0n) * NS_PER_TICK,
      systemNs: (t.get("system") ?? 0n) * NS_PER_TICK,
      throttledPeriods: th.get("nr_throttled") ?? 0n,
      throttledNs: th.get("throttled_time") ?? 0n,
      limitCpus: quota === undefined || period === undefined ? 0 : parseCpuLimit(quota.read(), period.read(), quota.path),
    });
  };
}

function openV2(unified: string | undefined, open: OpenFile): () => Stats_Cpu {
  const stat = open(unified, "cpu.stat");
  const max = open(unified, "cpu.max");
  return () => {
    const s = readKeyed(stat, V2_CPU);
    return create(Stats_CpuSchema, {
      usageNs: (s.get("usage_usec") ?? 0n) * 1000n,
      userNs: (s.get("user_usec") ?? 0n) * 1000n,
      systemNs: (s.get("system_usec") ?? 0n) * 1000n,
      throttledPeriods: s.get("nr_throttled") ?? 0n,
      throttledNs: (s.get("throttled_usec") ?? 0n) * 1000n,
      limitCpus: readCpuMax(max),
    });
  };
}

// readCpuMax reads v2's cpu.max ("150000 100000", or "max 100000").
function readCpuMax(file: ValueSource): number {
  if (file === undefined) return 0;
  const [quota = "", period = ""] = file.read().trim().split(" ");
  return parseCpuLimit(quota, period, file.path);
}

// parseCpuLimit is a CFS quota over its period, in CPUs; 0 when there is
// no quota (v1 writes -1, v2 "max").
export function parseCpuLimit(quota: string, period: string, what: string): number {
  const q = quota.trim();
  if (q === "-1" || q === "max") return 0;
  const p = parseUint(period, what);
  if (p === 0n) throw new BerthError("internal", `malformed value in ${what}: a CFS period of 0`);
  return Number(parseUint(q, what)) / Number(p);
}
