import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { hasErrnoCode } from "./path-exists.js";
import { sha256File } from "./sha256-file.js";

// cachedSha256 returns the SHA-256 of file, hashing it only when it is new
// or has changed since the last call: the answer is remembered in cacheDir
// under the file's identity (path, device, inode, size, mtime and ctime in
// nanoseconds; any write moves ctime). Hashing a large image on every
// container create would cost more than the rest of the create.
export async function cachedSha256(file: string, cacheDir: string): Promise<string> {
  const info = await stat(file, { bigint: true });
  const identity = [file, info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs].join("\0");
  const entry = join(cacheDir, createHash("sha256").update(identity).digest("hex"));
  try {
    const known = (await readFile(entry, "utf8")).trim();
    if (/^[a-f0-9]{64}$/.test(known)) return known;
  } catch (err) {
    if (!hasErrnoCode(err, "ENOENT")) throw err;
  }
  const digest = await sha256File(file);
  await mkdir(cacheDir, { recursive: true });
  // Written whole then renamed, so a reader never sees half a digest.
  const temp = `${entry}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await writeFile(temp, `${digest}\n`);
  await rename(temp, entry);
  return digest;
}
