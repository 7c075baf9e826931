// @ts-check
// What every daemon the benchmark starts (berth, containerd, Podman's
// service) does alike: wait until it answers or exits, and stop it with
// SIGTERM, then SIGKILL when it does not stop in time.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

import { deferred, withTimeout } from "./wait.js";

/**
 * untilReady resolves once ready() has resolved, and throws when the daemon
 * exits first or timeoutMs pass.
 * @param {() => Promise<void>} ready
 * @param {Promise<unknown>} exited settles when the daemon has exited
 * @param {number} timeoutMs
 * @param {string} name for the messages, e.g. "containerd"
 */
export async function untilReady(ready, exited, timeoutMs, name) {
  await withTimeout(
    Promise.race([
      ready(),
      exited.then(() => {
        throw new Error(`${name} exited during start-up`);
      }),
    ]),
    timeoutMs,
    `${name} to answer on its socket`,
  );
}

/**
 * stopChild sends SIGTERM, then SIGKILL if the child is still up after
 * timeoutMs; it returns at once for a child that is not running.
 * @param {import("node:child_process").ChildProcess | undefined} child
 * @param {Promise<void> | undefined} exited settles when the child has exited
 * @param {number} timeoutMs
 * @param {string} name
 */
export async function stopChild(child, exited, timeoutMs, name) {
  if (child === undefined || exited === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  try {
    await withTimeout(exited, timeoutMs, `${name} to stop`);
  } catch {
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * spawnDaemon starts binary in its own process group (so a Ctrl-C reaches
 * the benchmark alone, which then stops its daemons in order), its output
 * appended to logPath. exited resolves when it exits (rejects when it could
 * not be started).
 * @param {string} binary
 * @param {readonly string[]} args
 * @param {string} logPath
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ child: import("node:child_process").ChildProcess, exited: Promise<void> }}
 */
export function spawnDaemon(binary, args, logPath, env) {
  const log = openSync(logPath, "a");
  const child = spawn(binary, args, { stdio: ["ignore", log, log], detached: true, ...(env !== undefined && { env }) });
  closeSync(log);
  const exited = deferred();
  child.once("exit", () => exited.resolve(undefined));
  child.once("error", (err) => exited.reject(err));
  return { child, exited: exited.promise.then(() => {}) };
}
