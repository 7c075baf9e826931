import { create } from "@bufbuild/protobuf";
import { Stats_MemorySchema, type Stats_Memory } from "../gen/berth/v1/types_pb.js";
import type { CgroupPaths } from "./cgroup-paths.js";
import { readKeyed, readLimit, readUint } from "./cgroup-values.js";
import { openNamed, type OpenFile } from "./kept-file.js";

const V1_FILES = {
  usage: "memory.usage_in_bytes",
  limit: "memory.limit_in_bytes",
  maxUsage: "memory.max_usage_in_bytes",
  stat: "memory.stat",
  oom: "memory.oom_control",
  memsw: "memory.memsw.usage_in_bytes",
  softLimit: "memory.soft_limit_in_bytes",
};
// memory.peak and memory.swap.current are absent on older kernels and
// without swap accounting; they then read as 0.
const V2_FILES = {
  current: "memory.current",
  max: "memory.max",
  peak: "memory.peak",
  stat: "memory.stat",
  swap: "memory.swap.current",
  events: "memory.events",
  // memory.low is the v2 reservation: 0 when none.
  low: "memory.low",
};

const V1_STAT = new Set(["cache", "total_cache", "rss", "total_rss", "swap", "total_swap"]);
const V1_OOM = new Set(["oom_kill"]);
const V2_STAT = new Set(["file", "anon"]);
const V2_EVENTS = new Set(["oom_kill"]);

// openMemoryStats opens the memory files of one cgroup and returns their
// reader: the v1 memory controller when mounted, else the unified files.
export function openMemoryStats(paths: CgroupPaths, open: OpenFile): () => Stats_Memory {
  const dir = paths.controllers["memory"];
  if (dir === undefined) return openV2(paths.unified, open);
  const f = openNamed(open, dir, V1_FILES);
  return () => {
    const usageBytes = readUint(f.usage);
    // total_* include child cgroups, which a container may create.
    const s = readKeyed(f.stat, V1_STAT);
    const swap = s.get("total_swap") ?? s.get("swap");
    return create(Stats_MemorySchema, {
      usageBytes,
      limitBytes: readLimit(f.limit),
      maxUsageBytes: readUint(f.maxUsage),
      cacheBytes: s.get("total_cache") ?? s.get("cache") ?? 0n,
      rssBytes: s.get("total_rss") ?? s.get("rss") ?? 0n,
      swapBytes: swap ?? swapFromMemsw(readUint(f.memsw), usageBytes),
      oomKills: readKeyed(f.oom, V1_OOM).get("oom_kill") ?? 0n,
      reservationBytes: readLimit(f.softLimit),
    });
  };
}

// memsw counts memory plus swap, read a moment apart from usage, so the
// difference can dip below zero.
function swapFromMemsw(memsw: bigint, usage: bigint): bigint {
  return memsw > usage ? memsw - usage : 0n;
}

function openV2(dir: string | undefined, open: OpenFile): () => Stats_Memory {
  const f = openNamed(open, dir, V2_FILES);
  return () => {
    const s = readKeyed(f.stat, V2_STAT);
    return create(Stats_MemorySchema, {
      usageBytes: readUint(f.current),
      limitBytes: readLimit(f.max),
      maxUsageBytes: readUint(f.peak),
      cacheBytes: s.get("file") ?? 0n,
      rssBytes: s.get("anon") ?? 0n,
      swapBytes: readUint(f.swap),
      oomKills: readKeyed(f.events, V2_EVENTS).get("oom_kill") ?? 0n,
      reservationBytes: readLimit(f.low),
    });
  };
}
