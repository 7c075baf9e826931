import { create } from "@bufbuild/protobuf";
import { Stats_CpuSchema, type Stats_Cpu } from "../gen/berth/v1/types_pb.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { readKeyed, readUint } from "./cgroup-values.js";
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
  const throttle = open(paths.controllers["cpu"], "cpu.stat");
  return () => {
    const t = readKeyed(ticks, V1_TICKS);
    const th = readKeyed(throttle, V1_THROTTLE);
    return create(Stats_CpuSchema, {
      usageNs: readUint(usage),
      userNs: (t.get("user") ?? 0n) * NS_PER_TICK,
      systemNs: (t.get("system") ?? 0n) * NS_PER_TICK,
      throttledPeriods: th.get("nr_throttled") ?? 0n,
      throttledNs: th.get("throttled_time") ?? 0n,
    });
  };
}

function openV2(unified: string | undefined, open: OpenFile): () => Stats_Cpu {
  const stat = open(unified, "cpu.stat");
  return () => {
    const s = readKeyed(stat, V2_CPU);
    return create(Stats_CpuSchema, {
      usageNs: (s.get("usage_usec") ?? 0n) * 1000n,
      userNs: (s.get("user_usec") ?? 0n) * 1000n,
      systemNs: (s.get("system_usec") ?? 0n) * 1000n,
      throttledPeriods: s.get("nr_throttled") ?? 0n,
      throttledNs: (s.get("throttled_usec") ?? 0n) * 1000n,
    });
  };
}
