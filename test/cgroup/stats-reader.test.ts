import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findCgroupPaths, resolveCgroupPaths, type CgroupPaths } from "../../src/cgroup/cgroup-paths.js";
import { parseCgroupMounts } from "../../src/cgroup/parse-mountinfo.js";
import { CgroupStatsReader } from "../../src/cgroup/stats-reader.js";
import { microsPerRead, mountLine, useTempDirs, writeTree } from "./cgroup-fixture.js";

const tempDir = useTempDirs("berth-cgstats-");

// 2^54 + 1: a value a JavaScript number would round.
const HUGE = "18014398509481985";

const V1_FILES = {
  "cpuacct.usage": "123456789012\n",
  "cpuacct.stat": "user 300\nsystem 200\n",
  "cpu.stat": "nr_periods 10\nnr_throttled 4\nthrottled_time 5000000\nnr_bursts 0\n",
  "cpu.cfs_quota_us": "150000\n",
  "cpu.cfs_period_us": "100000\n",
  "memory.usage_in_bytes": "1048576\n",
  "memory.limit_in_bytes": "67108864\n",
  "memory.max_usage_in_bytes": `${HUGE}\n`,
  "memory.stat": "cache 1\nrss 2\nswap 3\ntotal_cache 4096\ntotal_rss 8192\ntotal_swap 512\nhierarchical_memory_limit 9223372036854771712\n",
  "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
  "memory.soft_limit_in_bytes": "33554432\n",
  "pids.current": "3\n",
  "pids.max": "50\n",
  "blkio.throttle.io_service_bytes":
    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 100\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 12288\n8:16 Read 1\n8:16 Write 2\nTotal 12291\n",
  "blkio.throttle.io_serviced": "8:0 Read 10\n8:0 Write 20\n8:0 Total 30\n8:16 Read 1\n8:16 Write 1\nTotal 32\n",
  "blkio.bfq.weight": "300\n",
};

const V1_EXPECTED = {
  cpu: { usageNs: 123456789012n, userNs: 3_000_000_000n, systemNs: 2_000_000_000n, throttledPeriods: 4n, throttledNs: 5000000n, limitCpus: 1.5 },
  memory: { usageBytes: 1048576n, limitBytes: 67108864n, maxUsageBytes: BigInt(HUGE), cacheBytes: 4096n, rssBytes: 8192n, swapBytes: 512n, oomKills: 2n, reservationBytes: 33554432n },
  pids: { current: 3n, limit: 50n },
  blockIo: { readBytes: 4097n, writeBytes: 8194n, readOps: 11n, writeOps: 21n, weight: 300 },
};

// v1Layout lays out v1 controllers under root, cpu and cpuacct combined in one
// mount, memory under a nested parent as on this host, and returns the paths
// resolved from mountinfo text, as findCgroupPaths would.
function v1Layout(root: string, withUnified: boolean): CgroupPaths {
  const lines = [
    mountLine(1, "/", `${root}/cpu,cpuacct`, "cgroup", "rw,cpu,cpuacct"),
    mountLine(2, "/", `${root}/memory`, "cgroup", "rw,memory"),
    mountLine(3, "/", `${root}/pids`, "cgroup", "rw,pids"),
    mountLine(4, "/", `${root}/blkio`, "cgroup", "rw,blkio"),
  ];
  if (withUnified) lines.push(mountLine(5, "/", `${root}/unified`, "cgroup2", "rw"));
  const files = V1_FILES as Record<string, string>;
  const pick = (dir: string, prefix: string) =>
    Object.fromEntries(Object.keys(files).filter((k) => k.startsWith(prefix)).map((k) => [`${dir}/${k}`, files[k]!]));
  writeTree(root, {
    ...pick("cpu,cpuacct/c", "cpu"),
    ...pick("memory/parent/c", "memory"),
    ...pick("pids/c", "pids"),
    ...pick("blkio/c", "blkio"),
  });
  // On a hybrid host the unified dir has its own cpu.stat; v1 must win.
  if (withUnified) writeTree(root, { "unified/c/cpu.stat": "usage_usec 1\nuser_usec 1\nsystem_usec 1\n" });
  const proc = "4:cpu,cpuacct:/c\n3:memory:/parent/c\n2:pids:/c\n1:blkio:/c\n0::/c\n";
  return resolveCgroupPaths(parseCgroupMounts(lines.join("\n")), proc);
}

function v2Layout(root: string, files: Record<string, string>): CgroupPaths {
  writeTree(root, Object.fromEntries(Object.entries(files).map(([k, v]) => [`c/${k}`, v])));
  return resolveCgroupPaths(parseCgroupMounts(mountLine(1, "/", root, "cgroup2", "rw")), "0::/c\n");
}

const V2_FILES = {
  "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 9\nnr_throttled 3\nthrottled_usec 70\n",
  "memory.current": `${HUGE}\n`,
  "memory.max": "max\n",
  "memory.peak": "4194304\n",
  "memory.stat": "anon 8192\nfile 4096\nkernel 100\n",
  "memory.swap.current": "256\n",
  "memory.events": "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n",
  "pids.current": "2\n",
  "pids.max": "max\n",
  "io.stat": "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n",
  "cpu.max": "max 100000\n",
  "memory.low": "0\n",
  "io.weight": "default 4950\n8:0 100\n",
};

function readOnce(paths: CgroupPaths) {
  using reader = new CgroupStatsReader(paths);
  return reader.read();
}

describe("CgroupStatsReader on fixture trees", () => {
  it("reads v1 files, summing blkio over devices without the Total lines", () => {
    const paths = v1Layout(tempDir(), false);
    expect(paths.mode).toBe("v1");
    expect(readOnce(paths)).toMatchObject(V1_EXPECTED);
  });

  it("reads v1 controllers, not the unified dir, on a hybrid host", () => {
    const paths = v1Layout(tempDir(), true);
    expect(paths.mode).toBe("hybrid");
    expect(readOnce(paths)).toMatchObject(V1_EXPECTED);
  });

  it("reads v2 files, with max meaning no limit", () => {
    const stats = readOnce(v2Layout(tempDir(), V2_FILES));
    expect(stats).toMatchObject({
      cpu: { usageNs: 1_500_000n, userNs: 1_000_000n, systemNs: 500_000n, throttledPeriods: 3n, throttledNs: 70_000n, limitCpus: 0 },
      memory: { usageBytes: BigInt(HUGE), limitBytes: 0n, maxUsageBytes: 4194304n, cacheBytes: 4096n, rssBytes: 8192n, swapBytes: 256n, oomKills: 1n, reservationBytes: 0n },
      pids: { current: 2n, limit: 0n },
      blockIo: { readBytes: 101n, writeBytes: 202n, readOps: 4n, writeOps: 6n, weight: 500 },
    });
    expect(stats.readAt).toBeDefined();
  });

  it("reads absent optional files as zeros", () => {
    const stats = readOnce(v2Layout(tempDir(), { "cpu.stat": "usage_usec 7\n", "memory.current": "5\n" }));
    expect(stats.cpu).toMatchObject({ usageNs: 7000n, userNs: 0n, throttledNs: 0n, limitCpus: 0 });
    expect(stats.memory).toMatchObject({ usageBytes: 5n, limitBytes: 0n, maxUsageBytes: 0n, swapBytes: 0n, oomKills: 0n, reservationBytes: 0n });
    expect(stats.pids).toMatchObject({ current: 0n, limit: 0n });
    expect(stats.blockIo).toMatchObject({ readBytes: 0n, writeOps: 0n, weight: 0 });
  });

  it("maps the v1 unlimited sentinel to 0 and falls back to memsw for swap", () => {
    const root = tempDir();
    const paths = v1Layout(root, false);
    writeTree(root, {
      "memory/parent/c/memory.limit_in_bytes": "9223372036854771712\n",
      "memory/parent/c/memory.stat": "cache 10\nrss 20\n",
      "memory/parent/c/memory.memsw.usage_in_bytes": "1049600\n",
    });
    expect(readOnce(paths).memory).toMatchObject({ limitBytes: 0n, cacheBytes: 10n, rssBytes: 20n, swapBytes: 1024n });
  });

  it("reads the limits berth sets: a v1 quota of -1 and the soft-limit sentinel as 0, v2 cpu.max and memory.low, io.bfq.weight as is", () => {
    const root = tempDir();
    const paths = v1Layout(root, false);
    writeTree(root, {
      "cpu,cpuacct/c/cpu.cfs_quota_us": "-1\n",
      "memory/parent/c/memory.soft_limit_in_bytes": "9223372036854771712\n",
      "blkio/c/blkio.weight": "700\n",
    });
    expect(readOnce(paths)).toMatchObject({ cpu: { limitCpus: 0 }, memory: { reservationBytes: 0n }, blockIo: { weight: 700 } });
    const v2 = readOnce(v2Layout(tempDir(), { ...V2_FILES, "cpu.max": "25000 50000\n", "memory.low": "16777216\n", "io.bfq.weight": "default 250\n" }));
    expect(v2).toMatchObject({ cpu: { limitCpus: 0.5 }, memory: { reservationBytes: 16777216n }, blockIo: { weight: 250 } });
  });

  it("sees new values on every read through the kept descriptors", () => {
    const root = tempDir();
    using reader = new CgroupStatsReader(v1Layout(root, false));
    expect(reader.read().cpu?.usageNs).toBe(123456789012n);
    writeFileSync(join(root, "cpu,cpuacct/c/cpuacct.usage"), "5\n");
    expect(reader.read().cpu?.usageNs).toBe(5n);
  });

  it("fails as failed_precondition when the cgroup dir is gone", () => {
    const root = tempDir();
    const paths = v2Layout(root, V2_FILES);
    paths.unified = join(root, "vanished");
    expect(() => new CgroupStatsReader(paths)).toThrow(expect.objectContaining({ code: "failed_precondition" }));
  });

  it("fails as internal on a malformed value, and after close", () => {
    const bad = v2Layout(tempDir(), { ...V2_FILES, "memory.current": "lots\n" });
    expect(() => readOnce(bad)).toThrow(expect.objectContaining({ code: "internal", message: expect.stringContaining("memory.current") }));
    const reader = new CgroupStatsReader(v2Layout(tempDir(), V2_FILES));
    reader.close();
    reader.close();
    expect(() => reader.read()).toThrow(expect.objectContaining({ code: "internal" }));
  });
});

describe("CgroupStatsReader on this host", () => {
  it("reads the test process's own cgroup, and measures a read", () => {
    using reader = new CgroupStatsReader(findCgroupPaths(process.pid));
    const stats = reader.read();
    expect(stats.cpu!.usageNs).toBeGreaterThan(0n);
    expect(stats.memory!.usageBytes).toBeGreaterThan(0n);
    console.log(`CgroupStatsReader.read() on own cgroup: ${microsPerRead(reader)}`);
  });
});
