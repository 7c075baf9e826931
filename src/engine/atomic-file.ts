// writeFileAtomic replaces a file so that a crash at any moment leaves the
// old content or the new, never a torn mix: temp file, fsync, rename.
import { open, rename } from "node:fs/promises";

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
