import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

import { BerthError } from "../errors/berth-error.js";
import { buildAtomically } from "./build-atomically.js";
import { applyOciLayout, isOciLayout } from "./oci-layout.js";
import { hasErrnoCode, pathExists } from "./path-exists.js";
import { cachedSha256 } from "./cached-sha256.js";
import { checkTarArchive, extractTar } from "./tar-archive.js";

// The marker sits beside rootfs, not in it, so the container never sees it.
const MARKER = "complete";

// ensureImageRootfs returns the root filesystem unpacked from the archive at
// imagePath: a tar of a root filesystem (.tar, .tar.gz/.tgz) or an OCI image
// layout archive. Unpacked trees are cached by the archive's SHA-256 under
// <stateDir>/images/<sha256>/rootfs, so the same content unpacks once
// whatever its file name, and a changed file unpacks anew. A file already
// seen unchanged costs a stat and two small reads.
export async function ensureImageRootfs(stateDir: string, imagePath: string): Promise<string> {
  const archive = resolve(imagePath);
  await checkIsFile(archive);
  await checkTarArchive(archive);
  const digest = await cachedSha256(archive, join(stateDir, "images", ".digests"));
  const target = join(stateDir, "images", digest);
  await buildAtomically({
    target,
    marker: MARKER,
    markerContent: `${JSON.stringify({ source: archive, sha256: digest, unpackedAt: new Date().toISOString() })}\n`,
    build: (dir) => unpack(archive, dir),
  });
  return join(target, "rootfs");
}

async function unpack(archive: string, dir: string): Promise<void> {
  const unpacked = join(dir, "archive");
  const rootfs = join(dir, "rootfs");
  await mkdir(unpacked);
  await extractTar(archive, unpacked);
  if (!(await isOciLayout(unpacked))) {
    await rename(unpacked, rootfs);
    return;
  }
  await mkdir(rootfs, { mode: 0o755 });
  try {
    await applyOciLayout(unpacked, rootfs, dir);
  } catch (err) {
    if (err instanceof BerthError) throw new BerthError(err.code, `${archive}: ${err.message}`, { cause: err });
    throw err;
  }
  await rm(unpacked, { recursive: true, force: true });
}

export async function checkIsFile(path: string): Promise<void> {
  try {
    if ((await stat(path)).isFile()) return;
  } catch (err) {
    if (hasErrnoCode(err, "ENOENT", "ENOTDIR")) {
      throw new BerthError("not_found", `image file ${path} does not exist: give the path of a tar archive of a root filesystem on the daemon's host`);
    }
    throw err;
  }
  throw new BerthError("invalid_argument", `image path ${path} is not a regular file: give a .tar or .tar.gz archive (for a directory, use rootfs.path)`);
}

// countImages counts the archives unpacked into the cache. A build cut
// short, or still running, has no marker yet (its folder is a temp sibling
// until then) and does not count.
export async function countImages(stateDir: string): Promise<number> {
  const dir = join(stateDir, "images");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (hasErrnoCode(err, "ENOENT")) return 0;
    throw err;
  }
  const digests = names.filter((name) => /^[a-f0-9]{64}$/.test(name));
  const complete = await Promise.all(digests.map((digest) => pathExists(join(dir, digest, MARKER))));
  return complete.filter(Boolean).length;
}
