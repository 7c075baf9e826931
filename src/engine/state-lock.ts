// lockStateDir makes a daemon the only one using its state directory: two
// daemons restoring and journaling in one folder would corrupt both. The
// lock is a file naming the holder by pid and start time, made with link(2)
// so that exactly one of two racing daemons gets it; one left by a daemon
// that died is taken over.
//
// A daemon killed with SIGKILL also leaves its helpers running (a `mount`,
// a `runc start`, an `umount` it had spawned), which would finish under the
// next daemon's restore and, say, mount a root filesystem restore had just
// cleared. So once it holds the lock, a daemon waits for the processes that
// name its state directory, other than the monitors, to be gone.
import { link, mkdir, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { alreadyExists } from "../errors/berth-error.js";
import { identify, probe } from "./process-identity.js";

const STRAY_WAIT_MS = 10_000;

export interface StateLock {
  // release removes the lock if it is still this process's.
  release(): Promise<void>;
}

export async function lockStateDir(stateDir: string, onError: (err: unknown) => void): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, "daemon.lock");
  const me = await identify(process.pid);
  const text = `${process.pid} ${me?.startTime ?? 0}\n`;
  const tmp = `${path}.${process.pid}`;
  await writeFile(tmp, text, { mode: 0o600 });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const [pid, startTime] = (await readFile(path, "utf8").catch(() => "")).trim().split(" ").map(Number);
      const alive = pid !== undefined && startTime !== undefined && pid > 0 && (await probe({ pid, startTime })).state === "alive";
      if (alive || attempt === 3) throw alreadyExists(`another berth daemon (pid ${pid}) is using the state directory ${stateDir}`);
      // Its daemon died without releasing it.
      await unlink(path).catch(() => {});
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const strays = await waitForStrays(stateDir);
  if (strays.length > 0) onError(new Error(`processes left by an earlier daemon still run after ${STRAY_WAIT_MS} ms: ${strays.join(", ")}`));
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      if ((await readFile(path, "utf8").catch(() => "")) === text) await unlink(path).catch(() => {});
    },
  };
}

// waitForStrays waits for the processes naming stateDir to end, and returns
// those still there when it gives up.
async function waitForStrays(stateDir: string): Promise<string[]> {
  const deadline = Date.now() + STRAY_WAIT_MS;
  for (;;) {
    const strays = await findStrays(stateDir);
    if (strays.length === 0 || Date.now() > deadline) return strays;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function findStrays(stateDir: string): Promise<string[]> {
  const inside = `${stateDir}/`;
  const out: string[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const args = (await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "")).split("\0");
    // Monitors are meant to outlive the daemon; zombies have no arguments.
    if (args[0]?.endsWith("conmon") || !args.some((a) => a.includes(inside))) continue;
    out.push(`${name} (${args.slice(0, 3).join(" ")})`);
  }
  return out;
}
