import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectCgroupMode, findCgroupPaths, type CgroupPaths } from "../../src/cgroup/cgroup-paths.js";
import { freezerState, type FreezerState } from "../../src/cgroup/freezer.js";
import { listCgroupPids } from "../../src/cgroup/list-pids.js";
import { CgroupStatsReader } from "../../src/cgroup/stats-reader.js";
import { microsPerRead } from "./cgroup-fixture.js";
import { startBusyboxContainer, type TestContainer } from "./runc-fixture.js";

// What this suite needs, each with how to get it. A host without them
// fails the suite, saying what is missing: skipped, it would pass green
// without reading a single real cgroup (CI runs as root with busybox).
const missing = [
  ...(process.getuid?.() === 0 ? [] : ["root: making cgroups and running runc need it (run the suite as root)"]),
  ...(existsSync("/usr/bin/busybox") ? [] : ["/usr/bin/busybox: install it with `apt-get install busybox-static`"]),
];

const MEMORY_LIMIT = 64 * 1024 * 1024;
const PIDS_LIMIT = 50;

async function waitForFreezer(paths: CgroupPaths, want: FreezerState, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (freezerState(paths) !== want) {
    if (Date.now() > deadline) throw new Error(`freezer did not become ${want}: ${freezerState(paths)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("cgroup reading of a real runc container", () => {
  const id = `cgtest-${process.pid}-${Date.now().toString(36)}`;
  let container: TestContainer | undefined;
  let paths: CgroupPaths;
  let reader: CgroupStatsReader | undefined;

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`this suite runs real containers and needs:\n${missing.join("\n")}`);
    container = await startBusyboxContainer(id, { memoryBytes: MEMORY_LIMIT, pids: PIDS_LIMIT });
    paths = findCgroupPaths(container.pid);
    reader = new CgroupStatsReader(paths);
  }, 30_000);

  afterAll(async () => {
    reader?.close();
    await container?.destroy();
  }, 30_000);

  it("finds the container's own cgroup in every hierarchy", { timeout: 5_000 }, () => {
    expect(paths.mode).toBe(detectCgroupMode());
    const dirs = [...Object.values(paths.controllers), ...(paths.unified ? [paths.unified] : [])];
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) {
      expect(dir.endsWith(container!.cgroupsPath)).toBe(true);
      expect(existsSync(dir)).toBe(true);
    }
  });

  it("reads the limits runc set and live usage", { timeout: 10_000 }, () => {
    const stats = reader!.read();
    expect(stats.memory!.limitBytes).toBe(BigInt(MEMORY_LIMIT));
    expect(stats.memory!.usageBytes).toBeGreaterThan(0n);
    expect(stats.pids!.limit).toBe(BigInt(PIDS_LIMIT));
    expect(stats.pids!.current).toBeGreaterThanOrEqual(1n);
    expect(stats.cpu!.usageNs).toBeGreaterThan(0n);
    expect(stats.readAt).toBeDefined();
    console.log(`CgroupStatsReader.read() on a runc container: ${microsPerRead(reader!)}`);
  });

  it("lists the container's init pid", { timeout: 5_000 }, () => {
    expect(listCgroupPids(paths)).toContain(container!.pid);
  });

  it("sees runc pause and resume in the freezer", { timeout: 20_000 }, async () => {
    expect(freezerState(paths)).toBe("thawed");
    await container!.runc("pause", id);
    await waitForFreezer(paths, "frozen");
    await container!.runc("resume", id);
    await waitForFreezer(paths, "thawed");
  });

  it("reports failed_precondition once the container is deleted, and leaves no cgroup", { timeout: 30_000 }, async () => {
    const dirs = [...Object.values(paths.controllers), ...(paths.unified ? [paths.unified] : [])];
    await container!.destroy();
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
    const gone = expect.objectContaining({ code: "failed_precondition" });
    expect(() => reader!.read()).toThrow(gone);
    expect(() => listCgroupPids(paths)).toThrow(gone);
    expect(() => new CgroupStatsReader(paths)).toThrow(gone);
  });
});
