// Real containers: specs from buildDefaultSpec run under runc on root
// filesystems from src/rootfs.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ensureBusyboxRootfs } from "../../src/rootfs/busybox-rootfs.js";
import { ensureImageRootfs } from "../../src/rootfs/image-rootfs.js";
import { prepareContainerRootfs, releaseContainerRootfs } from "../../src/rootfs/overlay.js";
import { buildDefaultSpec, type DefaultSpecOptions } from "../../src/spec/default-spec.js";
import { applyResources } from "../../src/cgroup/apply-resources.js";
import { findCgroupPaths } from "../../src/cgroup/cgroup-paths.js";
import { checkResourceUpdate } from "../../src/spec/resources.js";
import { CGROUP_ROOT, exists, RuncHarness } from "./runc-harness.js";

const MIB = 1024 * 1024;

describe("buildDefaultSpec under runc", () => {
  let harness: RuncHarness;
  let busybox: string;

  beforeAll(async () => {
    harness = await RuncHarness.create("spectest");
    busybox = await ensureBusyboxRootfs(harness.stateDir);
  });

  afterAll(async () => {
    await harness?.cleanup(releaseContainerRootfs);
  });

  // runOn prepares the container's rootfs over lower, runs args in it and
  // checks that runc left no cgroup behind.
  async function runOn(lower: string, args: string[], extra: Partial<DefaultSpecOptions> = {}) {
    const id = harness.nextId();
    const containerDir = harness.containerDir(id);
    const rootfsPath = await prepareContainerRootfs({ lowerDir: lower, containerDir });
    const spec = buildDefaultSpec({
      process: { args },
      hostname: id,
      rootfsPath,
      cgroupsPath: harness.cgroupsPath(id),
      ...extra,
    });
    try {
      const result = await harness.run(id, spec);
      return { id, containerDir, ...result };
    } finally {
      await harness.deleteContainer(id);
      expect(await harness.leftoverCgroups(id)).toEqual([]);
    }
  }

  it("runs a shell on an overlay of the busybox rootfs, writing only to the upper layer", { timeout: 30_000 }, async () => {
    const { id, containerDir, stdout, stderr, exitCode } = await runOn(busybox, [
      "sh",
      "-c",
      "echo hello > /tmp/x; cat /tmp/x; id -u; hostname",
    ]);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(stdout.split("\n")).toEqual(["hello", "0", id]);
    expect(await exists(join(busybox, "tmp", "x"))).toBe(false);
    expect(await readFile(join(containerDir, "upper", "tmp", "x"), "utf8")).toBe("hello\n");

    await releaseContainerRootfs(containerDir);
    expect(await exists(join(containerDir, "upper"))).toBe(false);
    expect(await exists(join(containerDir, "bundle", "rootfs"))).toBe(false);
  });

  it("sees the defaults a program expects: env, cwd, user, loopback only, masked /proc", { timeout: 30_000 }, async () => {
    const { stdout, exitCode, stderr } = await runOn(busybox, [
      "sh",
      "-c",
      'echo "$PATH"; pwd; id -un; ls /sys/class/net; cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l; ulimit -n',
    ]);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(stdout.split("\n")).toEqual(["/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "/", "root", "lo", "0", "0", "1024"]);
  });

  it("keeps a readonly rootfs read-only and the shared lower untouched", { timeout: 30_000 }, async () => {
    const { stdout, exitCode } = await runOn(busybox, ["sh", "-c", "touch /x 2>&1; echo rc=$?"], { readonlyRootfs: true });
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/Read-only file system/);
    expect(stdout).toMatch(/rc=1$/);
    expect(await exists(join(busybox, "x"))).toBe(false);
  });

  it("applies memory and pids limits in the container's cgroups", { timeout: 30_000 }, async () => {
    const { stdout, exitCode, stderr } = await runOn(
      busybox,
      ["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"],
      { resources: { memoryLimitBytes: BigInt(32 * MIB), pidsLimit: 20n } },
    );
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(stdout.split("\n")).toEqual([String(32 * MIB), "20"]);
  });

  it("applies live updates through the cgroup files, raising and lowering memory+swap in a legal order", { timeout: 30_000 }, async () => {
    const id = harness.nextId();
    const rootfsPath = await prepareContainerRootfs({ lowerDir: busybox, containerDir: harness.containerDir(id) });
    const spec = buildDefaultSpec({
      process: { args: ["sleep", "60"] },
      rootfsPath,
      cgroupsPath: harness.cgroupsPath(id),
      resources: { memoryLimitBytes: BigInt(32 * MIB), memorySwapLimitBytes: BigInt(32 * MIB) },
    });
    const cgroup = (controller: string, file: string) => join(CGROUP_ROOT, controller, harness.cgroupsPath(id), file);
    const read = async (controller: string, file: string) => (await readFile(cgroup(controller, file), "utf8")).trim();
    try {
      await harness.start(id, spec);
      const state = await execa("runc", ["--root", harness.runcRoot, "state", id], { stdin: "ignore" });
      const paths = findCgroupPaths((JSON.parse(state.stdout) as { pid: number }).pid);
      // Raising both: memsw must grow first, or the kernel refuses the limit.
      applyResources(paths, checkResourceUpdate({ memoryLimitBytes: BigInt(96 * MIB), memorySwapLimitBytes: BigInt(128 * MIB), pidsLimit: 7n, cpuQuotaUs: 50_000n, cpuPeriodUs: 100_000n }));
      expect(await read("memory", "memory.limit_in_bytes")).toBe(String(96 * MIB));
      expect(await read("memory", "memory.memsw.limit_in_bytes")).toBe(String(128 * MIB));
      expect(await read("pids", "pids.max")).toBe("7");
      expect(await read("cpu", "cpu.cfs_quota_us")).toBe("50000");
      // Lowering both: the memory limit must shrink first.
      applyResources(paths, checkResourceUpdate({ memoryLimitBytes: BigInt(40 * MIB), memorySwapLimitBytes: BigInt(40 * MIB), pidsLimit: -1n }));
      expect(await read("memory", "memory.limit_in_bytes")).toBe(String(40 * MIB));
      expect(await read("memory", "memory.memsw.limit_in_bytes")).toBe(String(40 * MIB));
      expect(await read("pids", "pids.max")).toBe("max");
    } finally {
      await harness.deleteContainer(id);
    }
    expect(await harness.leftoverCgroups(id)).toEqual([]);
  });

  it("runs a bind mount read-only when asked", { timeout: 30_000 }, async () => {
    const shared = join(harness.dir, "shared");
    await mkdir(shared);
    await writeFile(join(shared, "in"), "from host\n");
    const { stdout, exitCode } = await runOn(busybox, ["sh", "-c", "cat /data/in; touch /data/out 2>/dev/null; echo rc=$?"], {
      mounts: [{ source: shared, destination: "/data", readOnly: true }],
    });
    expect(exitCode).toBe(0);
    expect(stdout.split("\n")).toEqual(["from host", "rc=1"]);
  });

  it("runs a container from an image tar made of the busybox rootfs", { timeout: 30_000 }, async () => {
    const archive = join(harness.dir, "busybox.tar.gz");
    await execa("tar", ["-C", busybox, "-czf", archive, "."]);
    const lower = await ensureImageRootfs(harness.stateDir, archive);
    const { stdout, exitCode, stderr } = await runOn(lower, ["sh", "-c", "cat /etc/hostname; busybox true && echo ok"]);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(stdout.split("\n")).toEqual(["berth", "ok"]);
  });
});
