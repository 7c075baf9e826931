import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import {
  isMountPoint,
  mountOverlay,
  prepareContainerRootfs,
  releaseContainerRootfs,
  unmountOverlay,
} from "../../src/rootfs/overlay.js";
import { mountsUnder } from "../spec/runc-harness.js";

describe("overlay root filesystems", () => {
  let dir: string;
  let lower: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-rootfstest-overlay-"));
    lower = join(dir, "lower");
    await mkdir(join(lower, "etc"), { recursive: true });
    await writeFile(join(lower, "etc", "hostname"), "lower\n");
  });

  afterAll(async () => {
    // Unmount anything a failed test left, deepest first, before removing.
    for (const target of (await mountsUnder(dir)).reverse()) await unmountOverlay(target);
    expect(await mountsUnder(dir)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  it("gives a container a writable overlay that never changes the lower dir", { timeout: 10_000 }, async () => {
    const containerDir = join(dir, "c1");
    const rootfs = await prepareContainerRootfs({ lowerDir: lower, containerDir });
    expect(rootfs).toBe(join(containerDir, "bundle", "rootfs"));
    expect(await isMountPoint(rootfs)).toBe(true);

    await writeFile(join(rootfs, "etc", "hostname"), "changed\n");
    await writeFile(join(rootfs, "new"), "new\n");
    expect(await readFile(join(lower, "etc", "hostname"), "utf8")).toBe("lower\n");
    expect(await readdir(lower)).toEqual(["etc"]);
    expect(await readFile(join(containerDir, "upper", "new"), "utf8")).toBe("new\n");

    await releaseContainerRootfs(containerDir);
    expect(await isMountPoint(rootfs)).toBe(false);
    expect(await readdir(containerDir)).toEqual(["bundle"]);
    await releaseContainerRootfs(containerDir); // idempotent, as Delete must be
  });

  it("releases a rootfs with mounts stacked on it and made inside it, as runc leaves them without a mount namespace", { timeout: 10_000 }, async () => {
    const containerDir = join(dir, "c2");
    const rootfs = await prepareContainerRootfs({ lowerDir: lower, containerDir });
    // What runc did in the host's namespace for a spec without one: a bind
    // of the root onto itself, and mounts inside it.
    await execa("mount", ["--bind", rootfs, rootfs]);
    await mkdir(join(rootfs, "proc"), { recursive: true });
    await execa("mount", ["-t", "tmpfs", "tmpfs", join(rootfs, "proc")]);
    await execa("mount", ["--bind", rootfs, rootfs]);
    expect((await mountsUnder(rootfs)).length).toBe(4);
    await releaseContainerRootfs(containerDir);
    expect(await mountsUnder(containerDir)).toEqual([]);
    expect(await readdir(containerDir)).toEqual(["bundle"]);
    expect(await readdir(join(containerDir, "bundle"))).toEqual([]);
  });

  it("says NOT_FOUND for a lower dir that does not exist", async () => {
    const err = await prepareContainerRootfs({ lowerDir: join(dir, "nope"), containerDir: join(dir, "c5") }).catch(
      (e: unknown) => e,
    );
    expect(isBerthError(err, "not_found")).toBe(true);
    expect((err as Error).message).toMatch(/does not exist/);
  });

  it("refuses to stack a second overlay on a prepared container", { timeout: 10_000 }, async () => {
    const containerDir = join(dir, "c3");
    await prepareContainerRootfs({ lowerDir: lower, containerDir });
    try {
      const err = await prepareContainerRootfs({ lowerDir: lower, containerDir }).catch((e: unknown) => e);
      expect(isBerthError(err, "failed_precondition")).toBe(true);
    } finally {
      await releaseContainerRootfs(containerDir);
    }
  });

  it("reports mount's own error, and rejects paths mount options cannot carry", async () => {
    const target = join(dir, "t-missing");
    await mkdir(target);
    const dirs = { lower: join(dir, "no-such-lower"), upper: join(dir, "u"), work: join(dir, "w"), target };
    await Promise.all([mkdir(dirs.upper), mkdir(dirs.work)]);
    const err = await mountOverlay(dirs).catch((e: unknown) => e);
    expect(isBerthError(err, "internal")).toBe(true);
    expect((err as Error).message).toMatch(/cannot mount the overlay root filesystem at .*: mount: /);

    const comma = await mountOverlay({ ...dirs, lower: join(dir, "a,b") }).catch((e: unknown) => e);
    expect(isBerthError(comma, "invalid_argument")).toBe(true);
    expect((comma as Error).message).toMatch(/contains ','/);
  });

  it("detaches a busy mount lazily so release still completes", { timeout: 10_000 }, async () => {
    const containerDir = join(dir, "c4");
    const rootfs = await prepareContainerRootfs({ lowerDir: lower, containerDir });
    // A process whose working directory is inside keeps the mount busy.
    const holder = execa("sleep", ["30"], { cwd: rootfs, stdin: "ignore", reject: false });
    try {
      await releaseContainerRootfs(containerDir);
      expect(await isMountPoint(rootfs)).toBe(false);
    } finally {
      holder.kill("SIGKILL");
      await holder;
    }
  });

  it("measures what a mount spawn costs", { timeout: 30_000 }, async () => {
    const samples: number[] = [];
    const unmounts: number[] = [];
    // The yardstick, taken between the mounts: a spawn of true, which the
    // host's load slows as much as it slows mount's.
    const spawns: number[] = [];
    for (let i = 0; i < 20; i++) {
      const spawned = performance.now();
      await execa("true");
      spawns.push(performance.now() - spawned);
      const dirs = { lower, upper: join(dir, `m-u${i}`), work: join(dir, `m-w${i}`), target: join(dir, `m-t${i}`) };
      await Promise.all([mkdir(dirs.upper), mkdir(dirs.work), mkdir(dirs.target)]);
      let started = performance.now();
      await mountOverlay(dirs);
      samples.push(performance.now() - started);
      started = performance.now();
      await unmountOverlay(dirs.target);
      unmounts.push(performance.now() - started);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    console.log(
      `overlay mount via execa: median ${median(samples).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms; ` +
        `umount: median ${median(unmounts).toFixed(1)} ms; a spawn of true: median ${median(spawns).toFixed(1)} ms`,
    );
    // A mount is one spawn and one system call: 250 ms on a quiet host,
    // or a few spawns' worth where the host is so loaded that one spawn
    // takes more than 50 ms.
    expect(median(samples)).toBeLessThan(Math.max(250, 5 * median(spawns)));
  });
});
