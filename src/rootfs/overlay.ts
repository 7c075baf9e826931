import { readFileSync } from "node:fs";
import { mkdir, rm, rmdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

import { quickSpawn, type QuickResult } from "../runtime/quick-spawn.js";

import { BerthError } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { hasErrnoCode, pathExists } from "./path-exists.js";
import { usernsRootOf } from "./userns-root-path.js";

export interface OverlayDirs {
  lower: string | LowerList;
  upper: string;
  work: string;
  target: string;
  // metacopy makes a chown or chmod copy up only the file's metadata, not
  // its data (a user namespace's shifted ownership, shift-ownership.ts).
  metacopy?: boolean | undefined;
}

// LowerList is an image's layer folders, top first, named relative to cwd:
// the mount runs in cwd, so the option string carries short relative names
// (containerd's mount helper changes directory for the same reason). The
// kernel takes at most one page of mount options.
export interface LowerList {
  cwd: string;
  dirs: string[];
}

const MOUNT_OPTIONS_MAX = 4095;

// mountOverlay mounts an overlay of upper over lower at target. upper and
// work must be on the same filesystem; work must be empty.
export async function mountOverlay(dirs: OverlayDirs): Promise<void> {
  const { lower, metacopy, ...rest } = dirs;
  for (const [name, path] of Object.entries(rest)) checkOverlayPath(name, path);
  let lowerOption: string;
  if (typeof lower === "string") {
    checkOverlayPath("lower", lower);
    lowerOption = lower;
  } else {
    checkOverlayPath("lower", lower.cwd);
    for (const dir of lower.dirs) checkOverlayPath("lower", join(lower.cwd, dir));
    lowerOption = lower.dirs.join(":");
  }
  const options = `lowerdir=${lowerOption},upperdir=${dirs.upper},workdir=${dirs.work}${metacopy === true ? ",metacopy=on" : ""}`;
  if (options.length > MOUNT_OPTIONS_MAX) {
    const layers = typeof lower === "string" ? 1 : lower.dirs.length;
    throw new BerthError("failed_precondition", `the root filesystem's ${layers} layers do not fit in one overlay mount (its options would take ${options.length} bytes, the kernel takes ${MOUNT_OPTIONS_MAX}): flatten the image into fewer layers`);
  }
  const result = await quickSpawn("mount", ["-t", "overlay", "overlay", "-o", options, dirs.target], typeof lower !== "string" ? { cwd: lower.cwd } : {});
  if (result.exitCode !== 0) {
    throw new BerthError(
      // No exit code: mount itself could not be run.
      result.exitCode === undefined ? "unavailable" : "internal",
      `cannot mount the overlay root filesystem at ${dirs.target} (lower ${typeof lower === "string" ? lower : `${lower.dirs.length} layers in ${lower.cwd}`}): ${failureText(result)}`,
    );
  }
}

// unmountOverlay unmounts target and everything mounted at or below it,
// newest first, until nothing is. It is idempotent: a target that is not
// mounted, or does not exist, is already in the wanted state.
//
// One umount is not always enough: runc given a spec without a mount
// namespace bind-mounts the root filesystem onto itself in the host's
// namespace (and may mount the spec's mounts inside it), and leaves those
// mounts when it fails; the overlay then stays mounted underneath, and rmdir of
// bundle/rootfs fails with EBUSY. A busy mount is detached lazily so
// Delete still completes; the kernel frees it when its last user goes.
export async function unmountOverlay(target: string): Promise<void> {
  const wanted = resolve(target);
  let previous: string | undefined;
  for (;;) {
    const mounts = await mountsAtOrBelow(wanted);
    const newest = mounts.at(-1);
    if (newest === undefined) return;
    // The same mount twice in a row: even a lazy detach did not take it.
    if (newest.id === previous) throw new BerthError("internal", `cannot unmount ${newest.path}: it is still mounted after a lazy unmount`);
    previous = newest.id;
    await unmountOne(newest.path);
  }
}

async function unmountOne(path: string): Promise<void> {
  const result = await quickSpawn("umount", [path]);
  if (result.exitCode === 0) return;
  if (/busy/i.test(result.stderr)) {
    const lazy = await quickSpawn("umount", ["-l", path]);
    if (lazy.exitCode === 0) return;
    throw new BerthError("internal", `cannot unmount busy ${path}, not even lazily: ${failureText(lazy)}`);
  }
  // Raced with another unmount: the loop reads the table again.
  if (/not mounted|no mount point/i.test(result.stderr)) return;
  throw new BerthError("internal", `cannot unmount ${path}: ${failureText(result)}`);
}

export interface ContainerRootfsOptions {
  // lowerDir is the shared, never-modified root filesystem: a folder, or an
  // image's layer folders.
  lowerDir: string | LowerList;
  containerDir: string;
  metacopy?: boolean | undefined;
}

// prepareContainerRootfs gives a container its root filesystem and returns
// the path for the spec's root.path: <containerDir>/bundle/rootfs, an
// overlay whose writes land in <containerDir>/upper.
//
// A read-only container gets the overlay too (its spec sets root.readonly):
// runc creates the mount points a spec names (a bind mount's destination,
// /proc, /dev) inside the root before it makes it read-only, and those must
// land in the container's own layer, never in a root filesystem that other
// containers share.
export async function prepareContainerRootfs(options: ContainerRootfsOptions): Promise<string> {
  const lowers = typeof options.lowerDir === "string" ? [options.lowerDir] : options.lowerDir.dirs.map((d) => join((options.lowerDir as LowerList).cwd, d));
  for (const lower of lowers) {
    if (!(await isDirectory(lower))) {
      throw new BerthError("not_found", `root filesystem directory ${lower} does not exist: give an existing folder on the daemon's host`);
    }
  }
  const dirs = containerRootfsDirs(options.containerDir, options.lowerDir);
  if (await isMountPoint(dirs.target)) {
    throw new BerthError(
      "failed_precondition",
      `${dirs.target} is already mounted: release the previous root filesystem of this container (delete it) first`,
    );
  }
  await Promise.all([dirs.upper, dirs.work, dirs.target].map((dir) => mkdir(dir, { recursive: true, mode: 0o755 })));
  try {
    await mountOverlay({ ...dirs, metacopy: options.metacopy });
  } catch (err) {
    // Leave nothing behind for a container that never got its rootfs.
    await releaseContainerRootfs(options.containerDir);
    throw err;
  }
  return dirs.target;
}

// releaseContainerRootfs undoes prepareContainerRootfs: unmounts the overlay
// (and whatever else is mounted on or in it) and removes the container's
// writable layer. Calling it again is harmless.
export async function releaseContainerRootfs(containerDir: string): Promise<void> {
  const dirs = containerRootfsDirs(containerDir, "");
  // A user-namespaced container's bind of its root (userns-root.ts) first.
  const bound = usernsRootOf(containerDir);
  await unmountOverlay(bound);
  await rmdirIfThere(bound);
  await rmdirIfThere(join(bound, ".."));
  await unmountOverlay(dirs.target);
  // rmdir, never a recursive rm, on the mount point: should it still be
  // mounted somehow, this fails instead of deleting through the mount.
  await rmdirIfThere(dirs.target);
  await Promise.all([rm(dirs.upper, { recursive: true, force: true }), rm(dirs.work, { recursive: true, force: true })]);
}

async function rmdirIfThere(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch (err) {
    if (!hasErrnoCode(err, "ENOENT")) throw err;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

function containerRootfsDirs(containerDir: string, lower: string | LowerList): OverlayDirs {
  const dir = resolve(containerDir);
  return { lower, upper: join(dir, "upper"), work: join(dir, "work"), target: join(dir, "bundle", "rootfs") };
}

// isMountPoint reads the mount table rather than spawning a process, so the
// common "not mounted" answer of a repeated Delete costs no spawn.
export async function isMountPoint(path: string): Promise<boolean> {
  if (!(await pathExists(path))) return false;
  const wanted = resolve(path);
  return (await readMountTable()).some((m) => m.path === wanted);
}

export interface MountEntry {
  id: string;
  path: string;
}

// mountsAtOrBelow lists the mounts at dir or inside it, in the table's
// order: a mount stacked on another, or made inside it, comes after it.
export async function mountsAtOrBelow(dir: string): Promise<MountEntry[]> {
  const wanted = resolve(dir);
  return (await readMountTable()).filter((m) => m.path === wanted || m.path.startsWith(`${wanted}/`));
}

// readMountTable reads the table synchronously: procfs answers from the
// kernel's memory, and a read through libuv's thread pool would wait
// behind every other file operation of the daemon.
async function readMountTable(): Promise<MountEntry[]> {
  const table = readFileSync("/proc/self/mountinfo", "utf8");
  const out: MountEntry[] = [];
  for (const line of table.split("\n")) {
    const fields = line.split(" ");
    if (fields[4] !== undefined) out.push({ id: fields[0]!, path: unescapeMountField(fields[4]) });
  }
  return out;
}

// The kernel writes space, tab, newline and backslash in octal (\040).
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

// checkOverlayPath rejects paths the overlay option string cannot carry:
// ',' separates options and ':' separates lower layers.
function checkOverlayPath(name: string, path: string): void {
  if (!isAbsolute(path)) {
    throw new BerthError("invalid_argument", `overlay ${name} directory ${quote(path)} must be an absolute path`);
  }
  if (/[,:\n]/.test(path)) {
    throw new BerthError(
      "invalid_argument",
      `overlay ${name} directory ${quote(path)} contains ',', ':' or a newline, which overlay mount options cannot hold; use a path without them`,
    );
  }
}

function failureText(result: QuickResult): string {
  const stderr = result.stderr.trim();
  return stderr !== "" ? stderr : (result.spawnError?.message ?? (result.exitCode === undefined ? "killed by a signal" : "no error output"));
}
