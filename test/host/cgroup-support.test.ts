// memorySupport against cgroup trees laid out in a temp folder as each kind
// of host has them: the mounts point there instead of /sys/fs/cgroup.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { CgroupMount } from "../../src/cgroup/parse-mountinfo.js";
import { memorySupport, readMemorySupport } from "../../src/host/cgroup-support.js";

let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-cgroup-support-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// tree makes a fresh folder holding files (relative path -> content).
async function tree(files: Record<string, string>): Promise<string> {
  const dir = join(root, String(++n));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const v1 = (mountPoint: string, ...controllers: string[]): CgroupMount => ({ version: 1, mountPoint, root: "/", superOptions: ["rw", ...controllers] });
const v2 = (mountPoint: string): CgroupMount => ({ version: 2, mountPoint, root: "/", superOptions: [] });

describe("memorySupport", () => {
  it("v1 with swap accounting", async () => {
    const dir = await tree({ "memory/memory.limit_in_bytes": "", "memory/memory.memsw.limit_in_bytes": "" });
    expect(await memorySupport([v1(join(dir, "cpu"), "cpu"), v1(join(dir, "memory"), "memory")])).toEqual({ memoryLimit: true, swapLimit: true });
  });

  it("v1 booted with swapaccount=0 has no memsw files", async () => {
    const dir = await tree({ "memory/memory.limit_in_bytes": "" });
    expect(await memorySupport([v1(join(dir, "memory"), "memory")])).toEqual({ memoryLimit: true, swapLimit: false });
  });

  it("hybrid: the v1 memory controller counts, not the empty cgroup2 mount", async () => {
    const dir = await tree({ "memory/memory.limit_in_bytes": "", "memory/memory.memsw.limit_in_bytes": "", "unified/cgroup.controllers": "\n" });
    expect(await memorySupport([v1(join(dir, "memory"), "memory"), v2(join(dir, "unified"))])).toEqual({ memoryLimit: true, swapLimit: true });
  });

  it("v1 without a memory controller mounted", async () => {
    const dir = await tree({ "cpu/cpu.shares": "", "systemd/cgroup.procs": "" });
    expect(await memorySupport([v1(join(dir, "cpu"), "cpu"), v1(join(dir, "systemd"), "name=systemd")])).toEqual({ memoryLimit: false, swapLimit: false });
  });

  it("v2 asks a child cgroup, since the root has no memory.max", async () => {
    const withSwap = await tree({
      "cgroup.controllers": "cpuset cpu io memory pids\n",
      "init.scope/cgroup.procs": "",
      "system.slice/memory.max": "max\n",
      "system.slice/memory.swap.max": "max\n",
    });
    expect(await memorySupport([v2(withSwap)])).toEqual({ memoryLimit: true, swapLimit: true });
    const noSwap = await tree({ "cgroup.controllers": "cpu memory pids\n", "system.slice/memory.max": "max\n" });
    expect(await memorySupport([v2(noSwap)])).toEqual({ memoryLimit: true, swapLimit: false });
  });

  it("v2 with memory available but enabled in no child yet", async () => {
    const dir = await tree({ "cgroup.controllers": "memory pids\n", "init.scope/cgroup.procs": "" });
    expect(await memorySupport([v2(dir)])).toEqual({ memoryLimit: true, swapLimit: true });
  });

  it("v2 without the memory controller", async () => {
    const dir = await tree({ "cgroup.controllers": "cpu pids\n", "system.slice/memory.max": "max\n" });
    expect(await memorySupport([v2(dir)])).toEqual({ memoryLimit: false, swapLimit: false });
  });

  it("no cgroup mounts at all", async () => {
    expect(await memorySupport([])).toEqual({ memoryLimit: false, swapLimit: false });
  });

  it("on this host, agrees with the files", async () => {
    const { existsSync } = await import("node:fs");
    const support = await readMemorySupport();
    const v1Memory = existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    if (v1Memory) expect(support).toEqual({ memoryLimit: true, swapLimit: existsSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") });
    else expect(support.memoryLimit).toBe(true);
  });
});
