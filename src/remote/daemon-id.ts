// loadDaemonId returns the id of a state directory, made the first time a
// daemon opens it and kept in <stateDir>/daemon-id, so that Info tells one
// daemon's state from another's across restarts, as Docker's engine ID does.
// The caller must hold the state directory's lock: two daemons making an id
// at once would each keep their own.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { writeFileAtomic } from "../engine/atomic-file.js";

export async function loadDaemonId(stateDir: string): Promise<string> {
  const path = join(stateDir, "daemon-id");
  let id = "";
  try {
    id = (await readFile(path, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  // An empty file (emptied by hand) gets a new id rather than keeping "".
  if (id !== "") return id;
  id = randomUUID();
  await writeFileAtomic(path, `${id}\n`);
  return id;
}
