// writeFileAtomic replaces a file so that a crash at any moment leaves the
// old content or the new, never a torn mix: temp file, fsync, rename.
import { open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";

// A temp file is "<name>.tmp-<pid>-<random>": the pid says which process
// was writing it.
const TEMP_NAME = /\.tmp-(\d+)-[a-z0-9]+$/;

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

// removeStaleTemps removes from dir the temp files of writes that a kill
// cut short (they are never renamed, so nothing else removes them) and
// returns their names. Those of this process are writes in flight, and
// stay.
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const stale = (await readdir(dir).catch(() => [] as string[])).filter((name) => {
    const pid = TEMP_NAME.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid;
  });
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
  return stale;
}
