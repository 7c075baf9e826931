// applyResources on fixture trees: which files an update writes, in what
// scale, and that a refused update writes nothing.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { applyResources } from "../../src/cgroup/apply-resources.js";
import type { CgroupPaths } from "../../src/cgroup/cgroup-paths.js";
import { checkResourceUpdate, type ResourceOptions } from "../../src/spec/resources.js";
import { useTempDirs, writeTree } from "./cgroup-fixture.js";

const tempDir = useTempDirs("berth-apply-");
const MIB = 1024 * 1024;
const V1_NONE = "9223372036854771712\n";

function v1(files: Record<string, string> = {}): { paths: CgroupPaths; read(file: string): string } {
  const root = tempDir();
  writeTree(root, {
    "memory/memory.limit_in_bytes": V1_NONE,
    "memory/memory.soft_limit_in_bytes": V1_NONE,
    "cpu/cpu.cfs_quota_us": "-1\n",
    "cpu/cpu.cfs_period_us": "100000\n",
    "blkio/blkio.throttle.io_serviced": "Total 0\n",
    ...files,
  });
  const controllers = { memory: join(root, "memory"), cpu: join(root, "cpu"), cpuacct: join(root, "cpu"), blkio: join(root, "blkio") };
  return { paths: { mode: "hybrid", controllers }, read: (file) => readFileSync(join(root, file), "utf8").trim() };
}

function v2(files: Record<string, string> = {}): { paths: CgroupPaths; read(file: string): string } {
  const root = tempDir();
  writeTree(root, { "memory.max": "max\n", "memory.low": "0\n", "cpu.max": "max 100000\n", ...files });
  return { paths: { mode: "v2", controllers: {}, unified: root }, read: (file) => readFileSync(join(root, file), "utf8").trim() };
}

const apply = (paths: CgroupPaths, r: ResourceOptions) => () => applyResources(paths, checkResourceUpdate(r));

describe("applyResources: memory reservation", () => {
  it("writes v1's soft limit, -1 for none", () => {
    const c = v1();
    apply(c.paths, { memoryReservationBytes: BigInt(32 * MIB) })();
    expect(c.read("memory/memory.soft_limit_in_bytes")).toBe(String(32 * MIB));
    apply(c.paths, { memoryReservationBytes: -1n })();
    expect(c.read("memory/memory.soft_limit_in_bytes")).toBe("-1");
  });

  it("writes v2's memory.low, 0 for none", () => {
    const c = v2();
    apply(c.paths, { memoryReservationBytes: BigInt(32 * MIB) })();
    expect(c.read("memory.low")).toBe(String(32 * MIB));
    apply(c.paths, { memoryReservationBytes: -1n })();
    expect(c.read("memory.low")).toBe("0");
  });

  it("refuses a reservation above the container's limit, and a limit below its reservation, writing nothing", () => {
    const c = v1({ "memory/memory.limit_in_bytes": `${64 * MIB}\n`, "memory/memory.soft_limit_in_bytes": `${48 * MIB}\n` });
    expect(apply(c.paths, { memoryReservationBytes: BigInt(96 * MIB), pidsLimit: 5 })).toThrow(
      expect.objectContaining({
        code: "invalid_argument",
        message: `memory_reservation_bytes ${96 * MIB} is more than the container's memory_limit_bytes ${64 * MIB}: give at most ${64 * MIB}, or raise memory_limit_bytes with it`,
      }),
    );
    expect(apply(c.paths, { memoryLimitBytes: BigInt(32 * MIB) })).toThrow(
      expect.objectContaining({ code: "invalid_argument", message: expect.stringMatching(/^memory_limit_bytes 33554432 is less than the container's memory_reservation_bytes 50331648/) }),
    );
    expect(c.read("memory/memory.limit_in_bytes")).toBe(String(64 * MIB));
    expect(c.read("memory/memory.soft_limit_in_bytes")).toBe(String(48 * MIB));
    const v2c = v2({ "memory.max": `${64 * MIB}\n` });
    expect(apply(v2c.paths, { memoryReservationBytes: BigInt(65 * MIB) })).toThrow(expect.objectContaining({ code: "invalid_argument" }));
    expect(v2c.read("memory.low")).toBe("0");
  });

  it("lets a reservation pass an unlimited container, and both move together", () => {
    const c = v1({ "memory/memory.limit_in_bytes": `${64 * MIB}\n`, "memory/memory.soft_limit_in_bytes": `${48 * MIB}\n` });
    apply(c.paths, { memoryLimitBytes: BigInt(32 * MIB), memoryReservationBytes: BigInt(16 * MIB) })();
    expect([c.read("memory/memory.limit_in_bytes"), c.read("memory/memory.soft_limit_in_bytes")]).toEqual([String(32 * MIB), String(16 * MIB)]);
    apply(c.paths, { memoryLimitBytes: -1n })();
    apply(c.paths, { memoryReservationBytes: BigInt(1024 * MIB) })();
    expect(c.read("memory/memory.soft_limit_in_bytes")).toBe(String(1024 * MIB));
  });
});

describe("applyResources: cpus", () => {
  it("writes period and quota on v1, and cpu.max on v2", () => {
    const c = v1({ "cpu/cpu.cfs_period_us": "50000\n" });
    apply(c.paths, { cpus: 1.5 })();
    expect([c.read("cpu/cpu.cfs_quota_us"), c.read("cpu/cpu.cfs_period_us")]).toEqual(["150000", "100000"]);
    const d = v2();
    apply(d.paths, { cpus: 0.25 })();
    expect(d.read("cpu.max")).toBe("25000 100000");
  });
});

describe("applyResources: blkio weight", () => {
  it("writes blkio.weight, else the v1 bfq file, as given", () => {
    const cfq = v1({ "blkio/blkio.weight": "500\n", "blkio/blkio.bfq.weight": "100\n" });
    apply(cfq.paths, { blkioWeight: 300 })();
    expect([cfq.read("blkio/blkio.weight"), cfq.read("blkio/blkio.bfq.weight")]).toEqual(["300", "100"]);
    const bfq = v1({ "blkio/blkio.bfq.weight": "100\n" });
    apply(bfq.paths, { blkioWeight: 300 })();
    expect(bfq.read("blkio/blkio.bfq.weight")).toBe("300");
  });

  it("writes io.bfq.weight as given, else io.weight converted", () => {
    const bfq = v2({ "io.bfq.weight": "default 100\n", "io.weight": "default 100\n" });
    apply(bfq.paths, { blkioWeight: 300 })();
    expect([bfq.read("io.bfq.weight"), bfq.read("io.weight")]).toEqual(["300", "default 100"]);
    const iocost = v2({ "io.weight": "default 100\n" });
    apply(iocost.paths, { blkioWeight: 500 })();
    expect(iocost.read("io.weight")).toBe("4950");
  });

  it("refuses as FAILED_PRECONDITION when the kernel has no weight file, writing nothing", () => {
    const c = v1();
    expect(apply(c.paths, { blkioWeight: 500, memoryReservationBytes: BigInt(8 * MIB) })).toThrow(
      expect.objectContaining({ code: "failed_precondition", message: expect.stringMatching(/^blkio_weight 500: this host cannot weigh block I\/O: its cgroups have no blkio\.weight or blkio\.bfq\.weight/) }),
    );
    expect(c.read("memory/memory.soft_limit_in_bytes")).toBe(V1_NONE.trim());
    expect(apply(v2().paths, { blkioWeight: 500 })).toThrow(expect.objectContaining({ code: "failed_precondition", message: expect.stringContaining("io.bfq.weight or io.weight") }));
  });

  it("fails as failed_precondition when the cgroup is gone", () => {
    const c = v1();
    c.paths.controllers["blkio"] = join(tempDir(), "vanished");
    expect(apply(c.paths, { blkioWeight: 500 })).toThrow(expect.objectContaining({ code: "failed_precondition", message: expect.stringContaining("cgroup is gone") }));
  });
});
