import type { Stats } from "node:fs";
import { chmod, lchown, lstat, mkdir, readdir, rename, rm, utimes } from "node:fs/promises";
import { join } from "node:path";

import { hasErrnoCode } from "./path-exists.js";
import { extractTar } from "./tar-archive.js";

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_WHITEOUT = ".wh..wh..opq";

// applyLayer applies one OCI image layer (a tar, maybe compressed) on top of
// rootfs. The layer is first unpacked into staging, an empty directory on
// the same filesystem, then merged in:
//   - unpacking into an empty directory lets tar's own guards work: a member
//     cannot land outside through a symlink of the same archive. Unpacking
//     straight onto rootfs would follow a lower layer's symlink (say
//     etc -> /etc) onto the host;
//   - the merge never follows a symlink: it descends only into real
//     directories, and replaces anything else whole;
//   - "dir/.wh.name" deletes dir/name and "dir/.wh..wh..opq" empties dir;
//     both act on the lower layers only, so they run before the directory's
//     own entries are merged, and are never copied;
//   - a hard link to a file of a lower layer fails in staging: the image
//     spec keeps both ends of a hard link in one layer.
export async function applyLayer(layerPath: string, rootfs: string, staging: string): Promise<void> {
  await mkdir(staging);
  try {
    await extractTar(layerPath, staging);
    await mergeDirectory(staging, rootfs);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function mergeDirectory(from: string, to: string): Promise<void> {
  const entries = await readdir(from);
  if (entries.includes(OPAQUE_WHITEOUT)) await emptyDirectory(to);
  for (const entry of entries) {
    const hidden = entry.slice(WHITEOUT_PREFIX.length);
    // ".wh.." would name the parent: never a valid whiteout.
    if (entry.startsWith(WHITEOUT_PREFIX) && entry !== OPAQUE_WHITEOUT && hidden !== "" && hidden !== "." && hidden !== "..") {
      await rm(join(to, hidden), { recursive: true, force: true });
    }
  }
  for (const entry of entries) {
    if (entry.startsWith(WHITEOUT_PREFIX)) continue;
    await mergeEntry(join(from, entry), join(to, entry));
  }
  await copyDirectoryMetadata(await lstat(from), to);
}

async function mergeEntry(from: string, to: string): Promise<void> {
  const source = await lstat(from);
  const existing = await lstatIfExists(to);
  if (source.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) await rm(to, { force: true });
    if (existing === undefined || !existing.isDirectory()) await mkdir(to);
    // Recursing, rather than renaming the whole directory, drops whiteout
    // files that a new directory may carry (an opaque marker, typically).
    await mergeDirectory(from, to);
    return;
  }
  if (existing !== undefined) await rm(to, { recursive: true, force: true });
  // rename keeps the inode, so hard links within the layer stay linked.
  await rename(from, to);
}

async function copyDirectoryMetadata(source: Stats, to: string): Promise<void> {
  await lchown(to, source.uid, source.gid);
  await chmod(to, source.mode & 0o7777);
  await utimes(to, source.atime, source.mtime);
}

async function lstatIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (hasErrnoCode(err, "ENOENT")) return undefined;
    throw err;
  }
}

async function emptyDirectory(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: unknown) => {
    if (hasErrnoCode(err, "ENOENT", "ENOTDIR")) return [];
    throw err;
  });
  for (const entry of entries) await rm(join(dir, entry), { recursive: true, force: true });
}
