// writeFileAtomic replaces a small file by rename, so a reader never sees
// half of it. No fsync: every file written here (the CNI result cache,
// network definitions, a container's network state) is also recovered
// without it, since a DEL without its cached result still releases by
// container id, and the engine's record is the durable truth.
import { rename, writeFile } from "node:fs/promises";

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}
