import { chmod, copyFile, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { ensureBusyboxRootfs } from "../../src/rootfs/busybox-rootfs.js";
import { findOnPath } from "../../src/rootfs/find-on-path.js";

describe("ensureBusyboxRootfs", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-rootfstest-busybox-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("builds a complete tiny system once, then returns it as it is", { timeout: 20_000 }, async () => {
    const stateDir = join(dir, "once");
    const rootfs = await ensureBusyboxRootfs(stateDir);
    expect(rootfs).toBe(join(stateDir, "rootfs", "busybox"));

    // The second call builds nothing: the same folder and the same files,
    // none written again. (It compared the two calls' times, which a
    // loaded host made fail while nothing was rebuilt.)
    const identity = async () => {
      const [folder, binary, passwd] = await Promise.all(["", "bin/busybox", "etc/passwd"].map((p) => stat(join(rootfs, p), { bigint: true })));
      return [folder!, binary!, passwd!].map((s) => `${s.ino}:${s.mtimeNs}:${s.ctimeNs}`);
    };
    const before = await identity();
    expect(await ensureBusyboxRootfs(stateDir)).toBe(rootfs);
    expect(await identity()).toEqual(before);

    expect((await stat(join(rootfs, "bin", "busybox"))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(rootfs, "bin", "sh"))).toBe("busybox");
    expect(await readlink(join(rootfs, "usr", "bin", "env"))).toBe("../../bin/busybox");
    expect((await stat(join(rootfs, "usr", "bin", "env"))).isFile()).toBe(true); // resolves
    expect((await stat(join(rootfs, "tmp"))).mode & 0o7777).toBe(0o1777);
    for (const name of ["proc", "sys", "dev", "root", "etc", "var", "run", "home"]) {
      expect((await stat(join(rootfs, name))).isDirectory()).toBe(true);
    }
    const passwd = await readFile(join(rootfs, "etc", "passwd"), "utf8");
    expect(passwd).toMatch(/^root:x:0:0:/m);
    expect(passwd).toMatch(/^nobody:x:65534:65534:/m);
    for (const name of ["group", "hostname", "hosts", "nsswitch.conf", "os-release"]) {
      expect((await stat(join(rootfs, "etc", name))).isFile()).toBe(true);
    }
    expect(await readdir(join(stateDir, "rootfs"))).toEqual(["busybox"]); // no temp left

    // Every applet busybox lists is linked; the program runs from the copy.
    const { stdout } = await execa(join(rootfs, "bin", "busybox"), ["--list-full"]);
    for (const applet of stdout.split("\n").filter((a) => a !== "bin/busybox" && a !== "linuxrc")) {
      expect((await lstat(join(rootfs, applet))).isSymbolicLink(), applet).toBe(true);
    }
  });

  it("lets racing builders all end with the same good rootfs", { timeout: 30_000 }, async () => {
    const stateDir = join(dir, "race");
    const paths = await Promise.all([1, 2, 3].map(() => ensureBusyboxRootfs(stateDir)));
    expect(new Set(paths).size).toBe(1);
    expect(await readdir(join(stateDir, "rootfs"))).toEqual(["busybox"]);
    expect(await readlink(join(stateDir, "rootfs", "busybox", "bin", "sh"))).toBe("busybox");
  });

  it("removes a crashed builder's temp and replaces a target without its marker", { timeout: 20_000 }, async () => {
    const stateDir = join(dir, "crash");
    const parent = join(stateDir, "rootfs");
    // pid 2^22+1 is above the kernel's pid_max limit, so it is never alive.
    const abandoned = join(parent, `.busybox.tmp-${2 ** 22 + 1}-deadbeef`);
    await mkdir(join(abandoned, "bin"), { recursive: true });
    await mkdir(join(parent, "busybox"), { recursive: true });
    await writeFile(join(parent, "busybox", "half"), "");

    const rootfs = await ensureBusyboxRootfs(stateDir);
    expect(await readdir(parent)).toEqual(["busybox"]);
    expect(await readdir(rootfs)).not.toContain("half");
    expect((await stat(join(rootfs, "etc", "os-release"))).isFile()).toBe(true);
  });

  it("refuses with UNAVAILABLE and the apt-get hint when busybox is not on PATH", async () => {
    vi.stubEnv("PATH", join(dir, "empty-path"));
    const err = await ensureBusyboxRootfs(join(dir, "missing")).catch((e: unknown) => e);
    expect(isBerthError(err, "unavailable")).toBe(true);
    expect((err as Error).message).toContain("apt-get install busybox-static");
  });

  it("refuses a dynamically linked busybox", async () => {
    const fakeBin = join(dir, "fake-bin");
    await mkdir(fakeBin, { recursive: true });
    // Any dynamic executable stands in: what matters is its PT_INTERP header.
    const ls = await findOnPath("ls");
    if (ls === undefined) throw new Error("ls is not on PATH");
    await copyFile(ls, join(fakeBin, "busybox"));
    await chmod(join(fakeBin, "busybox"), 0o755);
    vi.stubEnv("PATH", fakeBin);
    const err = await ensureBusyboxRootfs(join(dir, "dynamic")).catch((e: unknown) => e);
    expect(isBerthError(err, "unavailable")).toBe(true);
    expect((err as Error).message).toMatch(/dynamically linked.*busybox-static/);
  });
});
