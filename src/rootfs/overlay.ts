import { mkdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

import { loadExeca } from "../runtime/lazy-execa.js";

import { BerthError } from "../errors/berth-error.js";
import { hasErrnoCode, pathExists } from "./path-exists.js";

export interface OverlayDirs {
  lower: string;
  upper: string;
  work: string;
  target: string;
}

// mountOverlay mounts an overlay of upper over lower at target. upper and
// work must be on the same filesystem; work must be empty.
export async function mountOverlay(dirs: OverlayDirs): Promise<void> {
  for (const [name, path] of Object.entries(dirs)) checkOverlayPath(name, path);
  const options = `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work}`;
  const result = await (await loadExeca())("mount", ["-t", "overlay", "overlay", "-o", options, dirs.target], {
    stdin: "ignore",
    reject: false,
  });
  if (result.exitCode !== 0) {
    throw new BerthError(
      // No exit code: mount itself could not be run.
      result.exitCode === undefined ? "unavailable" : "internal",
      `cannot mount the overlay root filesystem at ${dirs.target} (lower ${dirs.lower}): ${failureText(result)}`,
    );
  }
}

// unmountOverlay unmounts target. It is idempotent: a target that is not
// mounted, or does not exist, is already in the wanted state. A busy mount
// is detached lazily so Delete still completes; the kernel frees it when
// its last user goes.
export async function unmountOverlay(target: string): Promise<void> {
  if (!(await isMountPoint(target))) return;
  const result = await (await loadExeca())("umount", [target], { stdin: "ignore", reject: false });
  if (result.exitCode === 0 || !(await isMountPoint(target))) return;
  if (/busy/i.test(result.stderr)) {
    const lazy = await (await loadExeca())("umount", ["-l", target], { stdin: "ignore", reject: false });
    if (lazy.exitCode === 0) return;
    throw new BerthError("internal", `cannot unmount busy ${target}, not even lazily: ${failureText(lazy)}`);
  }
  throw new BerthError("internal", `cannot unmount ${target}: ${failureText(result)}`);
}

export interface ContainerRootfsOptions {
  // lowerDir is the shared, never-modified root filesystem.
  lowerDir: string;
  containerDir: string;
  // readOnly skips the overlay: the spec then points at lowerDir itself with
  // root.readonly set, which is what keeps lowerDir unmodified.
  readOnly: boolean;
}

// prepareContainerRootfs gives a container its root filesystem and returns
// the path for the spec's root.path: <containerDir>/bundle/rootfs, an
// overlay whose writes land in <containerDir>/upper; or lowerDir when
// readOnly.
export async function prepareContainerRootfs(options: ContainerRootfsOptions): Promise<string> {
  if (!(await isDirectory(options.lowerDir))) {
    throw new BerthError("not_found", `root filesystem directory ${options.lowerDir} does not exist: give an existing folder on the daemon's host`);
  }
  if (options.readOnly) return options.lowerDir;
  const dirs = containerRootfsDirs(options.containerDir, options.lowerDir);
  if (await isMountPoint(dirs.target)) {
    throw new BerthError(
      "failed_precondition",
      `${dirs.target} is already mounted: release the previous root filesystem of this container (delete it) first`,
    );
  }
  await Promise.all([dirs.upper, dirs.work, dirs.target].map((dir) => mkdir(dir, { recursive: true, mode: 0o755 })));
  try {
    await mountOverlay(dirs);
  } catch (err) {
    // Leave nothing behind for a container that never got its rootfs.
    await releaseContainerRootfs(options.containerDir);
    throw err;
  }
  return dirs.target;
}

// releaseContainerRootfs undoes prepareContainerRootfs: unmounts the overlay
// and removes the container's writable layer. Calling it again, or for a
// readOnly container, is harmless.
export async function releaseContainerRootfs(containerDir: string): Promise<void> {
  const dirs = containerRootfsDirs(containerDir, "");
  await unmountOverlay(dirs.target);
  // rmdir, never a recursive rm, on the mount point: should it still be
  // mounted somehow, this fails instead of deleting through the mount.
  try {
    await rmdir(dirs.target);
  } catch (err) {
    if (!hasErrnoCode(err, "ENOENT")) throw err;
  }
  await rm(dirs.upper, { recursive: true, force: true });
  await rm(dirs.work, { recursive: true, force: true });
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

function containerRootfsDirs(containerDir: string, lower: string): OverlayDirs {
  const dir = resolve(containerDir);
  return { lower, upper: join(dir, "upper"), work: join(dir, "work"), target: join(dir, "bundle", "rootfs") };
}

// isMountPoint reads the mount table rather than spawning a process, so the
// common "not mounted" answer of a repeated Delete costs no spawn.
export async function isMountPoint(path: string): Promise<boolean> {
  if (!(await pathExists(path))) return false;
  const wanted = resolve(path);
  const table = await readFile("/proc/self/mountinfo", "utf8");
  for (const line of table.split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint !== undefined && unescapeMountField(mountPoint) === wanted) return true;
  }
  return false;
}

// The kernel writes space, tab, newline and backslash in octal (\040).
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

// checkOverlayPath rejects paths the overlay option string cannot carry:
// ',' separates options and ':' separates lower layers.
function checkOverlayPath(name: string, path: string): void {
  if (!isAbsolute(path)) {
    throw new BerthError("invalid_argument", `overlay ${name} directory ${JSON.stringify(path)} must be an absolute path`);
  }
  if (/[,:\n]/.test(path)) {
    throw new BerthError(
      "invalid_argument",
      `overlay ${name} directory ${JSON.stringify(path)} contains ',', ':' or a newline, which overlay mount options cannot hold; use a path without them`,
    );
  }
}

function failureText(result: { stderr: string; shortMessage?: string | undefined }): string {
  const stderr = result.stderr.trim();
  return stderr !== "" ? stderr : (result.shortMessage ?? "no error output");
}
