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
import { toRuncUpdateArgs } from "../../src/spec/resources.js";
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
    const readOnly = extra.readonlyRootfs === true;
    const rootfsPath = await prepareContainerRootfs({ lowerDir: lower, containerDir, readOnly });
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

  it("takes the flags of toRuncUpdateArgs in runc update", { timeout: 30_000 }, async () => {
    const id = harness.nextId();
    const rootfsPath = await prepareContainerRootfs({ lowerDir: busybox, containerDir: harness.containerDir(id), readOnly: false });
    const spec = buildDefaultSpec({ process: { args: ["sleep", "60"] }, rootfsPath, cgroupsPath: harness.cgroupsPath(id) });
    const cgroup = (controller: string, file: string) => join(CGROUP_ROOT, controller, harness.cgroupsPath(id), file);
    try {
      await harness.start(id, spec);
      const args = toRuncUpdateArgs({
        memoryLimitBytes: BigInt(48 * MIB),
        memorySwapLimitBytes: -1n,
        pidsLimit: 7n,
        cpuQuotaUs: 50_000n,
        cpuPeriodUs: 100_000n,
      });
      await execa("runc", ["--root", harness.runcRoot, "update", ...args, id], { stdin: "ignore", timeout: 10_000 });
      expect((await readFile(cgroup("memory", "memory.limit_in_bytes"), "utf8")).trim()).toBe(String(48 * MIB));
      expect((await readFile(cgroup("pids", "pids.max"), "utf8")).trim()).toBe("7");
      expect((await readFile(cgroup("cpu", "cpu.cfs_quota_us"), "utf8")).trim()).toBe("50000");
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
