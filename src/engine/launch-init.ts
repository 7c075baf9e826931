// launchInit and stopRun start and end one run of a container's init
// process. A run is a monitor (conmon) that runs `runc create`, then `runc
// start`; Create makes the first run and each restart a new one, on the same
// bundle and root filesystem. stopRun ends whatever run the runtime still
// holds (a Create cut short, a restart cut short, the previous run) and waits
// for its monitor to go, so that no late exit file of that run can land
// after the next run has begun.
import { readFileSync } from "node:fs";
import { access, rm } from "node:fs/promises";
import { join } from "node:path";

import { isBerthError } from "../errors/berth-error.js";
import { readPidFile, startConmon } from "../runtime/conmon.js";
import type { Runc } from "../runtime/runc.js";
import { NO_SPAN, type Span } from "../trace/span.js";
import { hookFailureOr } from "./hook-failure.js";
import type { ContainerPaths } from "./layout.js";
import type { ManagedContainer } from "./managed-container.js";
import { identify, probe, type ProcessIdentity } from "./process-identity.js";
import type { ProcessRun } from "./process-state.js";
import { waitPastStartHooks } from "./start-hooks.js";

// launchInit starts the monitor of a new run; the init process is then
// created and waits for `runc start`. It returns the run: the pid and the
// identities of the process and its monitor. A hook that fails (runc runs
// prestart to poststart in create) fails it with the hook's own words.
export async function launchInit(c: ManagedContainer, span: Span = NO_SPAN): Promise<ProcessRun> {
  const ctx = c.ctx;
  const hooks = c.createdWith.hooks;
  const started = await startConmon({
    binary: ctx.conmonPath,
    runtime: ctx.runc.binary,
    runtimeRoot: ctx.runc.root,
    containerId: c.id,
    uuid: c.id,
    bundle: c.paths.bundle,
    pidFile: c.paths.pidFile,
    exitDir: ctx.exitDir,
    persistDir: c.paths.persist,
    logPath: c.paths.log,
    logSizeMax: ctx.logSizeMax,
    terminal: c.init.terminal,
    stdin: c.init.stdin,
    conmonPidFile: c.paths.conmonPidFile,
    span,
  }).catch((err: unknown) => {
    throw hookFailureOr(err, hooks, "create");
  });
  const [identity, monitor] = await Promise.all([identify(started.pid), started.monitorPid === undefined ? undefined : identify(started.monitorPid)]);
  span.step("identity probes");
  return { pid: started.pid, identity, monitor };
}

// startInit starts the process of the run launchInit made and, when the
// container has startContainer hooks, waits for them to pass (see
// start-hooks.ts). runc's start is done in this process while the run's
// init is alive (see src/runtime/exec-fifo.ts).
export async function startInit(c: ManagedContainer, run: Pick<ProcessRun, "pid" | "identity">, span: Span = NO_SPAN): Promise<void> {
  const identity = run.identity;
  await c.ctx.runc.start(c.id, async () => identity !== undefined && (await probe(identity)).state === "alive");
  span.step("runtime start");
  const hooks = c.createdWith.hooks;
  if (hooks !== undefined && hooks.startContainer.length > 0) {
    await waitPastStartHooks(run.pid, hooks, c.paths.log, c.ctx.runc.binary);
    span.step("start hooks");
  }
}

// stopRun kills and deletes the run the runtime holds for id, if any, waits
// for its monitor to exit, and clears the exit files that run left.
export async function stopRun(runc: Runc, id: string, paths: ContainerPaths, exitDir: string, span: Span = NO_SPAN): Promise<void> {
  const monitor = await monitorOf(paths.conmonPidFile, id);
  // Nothing held (runc keeps a folder per container): no runc to spawn.
  const held = await access(join(runc.root, id)).then(() => true, () => false);
  span.step("monitor lookup");
  for (let attempt = 1; held || monitor !== undefined; attempt++) {
    await runc.delete(id, true).catch((err: unknown) => {
      if (!isBerthError(err, "not_found")) throw err;
    });
    span.step("runtime delete");
    const gone = monitor === undefined || (await goneWithin(monitor, 2000));
    span.step("monitor exit");
    if (gone) break;
    if (attempt === 3) {
      // A monitor that outlives its container this long is stuck.
      process.kill(monitor.pid, "SIGKILL");
      await goneWithin(monitor, 2000);
    }
  }
  await clearExitFiles(id, paths, exitDir);
  span.step("exit files");
}

// clearExitFiles removes the exit files of a finished run.
export async function clearExitFiles(id: string, paths: ContainerPaths, exitDir: string): Promise<void> {
  await Promise.all([
    rm(join(exitDir, id), { force: true }),
    rm(join(paths.persist, "exit"), { force: true }),
    rm(join(paths.persist, "oom"), { force: true }),
  ]);
}

// monitorOf reads a monitor's pid file and identifies the process if it is
// still that monitor: a conmon for containerId named uuid (the container id
// for init, "<id>.<exec id>" for an exec). A pid file may outlive its
// process, and the pid be reused.
export async function monitorOf(pidFile: string, containerId: string, uuid = containerId): Promise<ProcessIdentity | undefined> {
  const pid = await readPidFile(pidFile).catch(() => undefined);
  if (pid === undefined) return undefined;
  // Synchronous, as in process-identity.ts: procfs answers at once.
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    // gone
  }
  const args = cmdline.split("\0");
  const value = (flag: string) => args[args.indexOf(flag) + 1];
  if (!args[0]?.endsWith("conmon") || value("-c") !== containerId || value("-u") !== uuid) return undefined;
  return identify(pid);
}

// goneWithin polls until the process is gone, for at most ms; it says
// whether it went.
export async function goneWithin(id: ProcessIdentity, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await probe(id)).state === "gone") return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
