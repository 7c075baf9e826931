import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

import { BerthError } from "../errors/berth-error.js";
import { hasErrnoCode, pathExists } from "./path-exists.js";

export interface AtomicBuild {
  // target is the directory that appears, complete, when the build succeeds.
  target: string;
  // marker is a path relative to target, written last; its presence is what
  // makes the fast path trust an existing target.
  marker: string;
  markerContent: string;
  // build fills dir (a fresh empty directory beside target).
  build: (dir: string) => Promise<void>;
}

// buildAtomically returns target, building it first unless a complete one
// exists. The build happens in a temporary sibling that is renamed into
// place, so a crash never leaves half a tree at target, and of two builders
// racing, the loser discards its copy and uses the winner's.
export async function buildAtomically(job: AtomicBuild): Promise<string> {
  if (await pathExists(join(job.target, job.marker))) return job.target;

  const parent = dirname(job.target);
  await mkdir(parent, { recursive: true });
  await removeAbandonedTemps(parent, basename(job.target));

  const temp = join(parent, `${tempPrefix(basename(job.target))}${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(temp);
  try {
    await job.build(temp);
    await writeFile(join(temp, job.marker), job.markerContent);
    await moveIntoPlace(temp, job);
  } finally {
    // After a successful rename temp no longer exists and this is a no-op.
    await rm(temp, { recursive: true, force: true });
  }
  return job.target;
}

async function moveIntoPlace(temp: string, job: AtomicBuild): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await rename(temp, job.target);
      return;
    } catch (err) {
      if (!hasErrnoCode(err, "ENOTEMPTY", "EEXIST")) throw err;
    }
    if (await pathExists(join(job.target, job.marker))) return; // another builder won
    // A target without its marker was not made by this scheme (for instance
    // created by hand); set it aside rather than trust it.
    const stale = `${job.target}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(job.target, stale);
    } catch (err) {
      if (!hasErrnoCode(err, "ENOENT")) throw err;
    }
    await rm(stale, { recursive: true, force: true });
  }
  throw new BerthError(
    "internal",
    `cannot move the built tree into ${job.target}: it keeps reappearing without its marker ${job.marker}; remove it by hand`,
  );
}

function tempPrefix(name: string): string {
  return `.${name}.tmp-`;
}

// removeAbandonedTemps deletes temporaries left by builders that crashed;
// the pid in the name tells a dead builder's temp from a live one's.
async function removeAbandonedTemps(parent: string, name: string): Promise<void> {
  const prefix = tempPrefix(name);
  for (const entry of await readdir(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) {
      await rm(join(parent, entry), { recursive: true, force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !hasErrnoCode(err, "ESRCH");
  }
}
