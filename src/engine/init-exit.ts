// The end of a container's init process, wherever the news comes from: the
// exit file conmon writes (through the namespace's exit watcher), the
// liveness poller when the monitor itself died, a Signal or Restore that
// finds the process gone, or restore finding an exit that happened while no
// daemon ran. Each way leads to handleInitExit, which publishes the exit
// once (after the exec'd processes' exits), records it, and lets the
// restart policy decide what comes next.
import { access, unlink } from "node:fs/promises";
import { join } from "node:path";

import { INIT_PROCESS_ID } from "../errors/validate.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { traced, type Span } from "../trace/span.js";
import { disconnectAfterExit } from "./container-network.js";
import { readExitFile } from "./exit-watcher.js";
import type { ManagedContainer } from "./managed-container.js";
import type { ExitInfo } from "./managed-process.js";
import { superviseMonitor, UNKNOWN_EXIT_CODE } from "./monitor-liveness.js";
import { probe } from "./process-identity.js";
import { savePublished } from "./save-published.js";

// How long an init exit waits for its exec'd processes to report theirs, so
// the init exit is published last (containerd's rule).
const EXEC_EXIT_GRACE_MS = 2000;

export interface InitExitSource {
  // writtenAtMs is the time of the exit file the code came from, to tell a
  // late report of an earlier run apart.
  writtenAtMs?: number;
  // monitorDied: the code is not the process's own (see superviseMonitor).
  monitorDied?: boolean;
}

// handleInitExit records the exit of the current run of c's init process.
// Repeated or late reports of an exit already handled change nothing: an
// exit code once recorded is never replaced.
export async function handleInitExit(c: ManagedContainer, exitCode: number, how: InitExitSource = {}): Promise<void> {
  await c.started;
  if (how.writtenAtMs !== undefined && how.writtenAtMs < c.runBeganAtMs) return;
  const init = c.init;
  // A container created without start has no run that could have exited.
  if (c.ctx.closed || c.removed || init.exit !== undefined || !init.state.is("running", "paused", "created") || init.run === undefined) return;
  // Traced from here: repeated and late reports are not exits.
  const span = c.ctx.tracer.begin("exit", c.namespace, c.id);
  return traced(span, () => recordInitExit(c, exitCode, how, span));
}

async function recordInitExit(c: ManagedContainer, exitCode: number, how: InitExitSource, span: Span): Promise<void> {
  const init = c.init;
  const monitorDied = how.monitorDied === true;
  const oomKilled = !monitorDied && (await exists(join(c.paths.persist, "oom")));
  span.step("oom check");
  if (init.state.is("paused")) await c.thawAfterExit();
  // containerd's rule: the init exit is published after every exec exit.
  await c.execs.waitAllExited(EXEC_EXIT_GRACE_MS);
  await c.execs.reconcileAll();
  span.step("exec exits");
  const exit: ExitInfo = { exitCode, exitedAt: new Date(), oomKilled, monitorDied };
  if (c.ctx.closed || !init.markExited(exit)) return;
  // The run is over: its poststop hooks are owed now, before anything else
  // can start a new run or delete the container.
  void c.poststop.settle();
  c.closeStats();
  if (oomKilled) c.emit(EventType.OOM, { processId: INIT_PROCESS_ID, pid: init.pid });
  c.emit(EventType.EXIT, { processId: INIT_PROCESS_ID, pid: init.pid, exitCode, oomKilled, monitorDied });
  span.step("exit event");
  const ranMs = exit.exitedAt.getTime() - (init.startedAt?.getTime() ?? exit.exitedAt.getTime());
  const restart = c.restarts.decide(exitCode, ranMs) !== undefined;
  // Once the record holds the exit, the watcher's copy has done its job;
  // while it cannot be saved, that copy stays for a restore to find.
  const saved = await savePublished(c, "its init process exited", 0);
  span.step("record write (exited)");
  if (saved) await unlink(join(c.ctx.exitDir, c.id)).catch(() => {});
  span.step("exit file removal");
  disconnectAfterExit(c);
  if (restart) c.scheduleRestart();
}

// superviseInit watches the current run's monitor, so that a monitor that
// dies is noticed and the exit reported honestly, never waited for in vain.
export function superviseInit(c: ManagedContainer): void {
  const run = c.runBeganAtMs;
  superviseMonitor(
    c.ctx.liveness,
    {
      what: `container ${c.namespace}/${c.id}`,
      monitor: c.init.monitor,
      process: c.init.identity,
      exitFile: () => readInitExitFile(c),
      exited: () => c.init.exit !== undefined || c.removed || c.runBeganAtMs !== run,
      onExit: (code, monitorDied) => void handleInitExit(c, code, { monitorDied }).catch(c.ctx.reportError),
    },
    c.ctx.reportError,
  );
}

// readInitExitFile reads the exit code conmon wrote for the current run.
export async function readInitExitFile(c: ManagedContainer): Promise<number | undefined> {
  return (await readExitFile(join(c.ctx.exitDir, c.id))) ?? (await readExitFile(join(c.paths.persist, "exit")));
}

// reconcileInit learns at once the exit of an init process the runtime says
// is gone, instead of waiting for the exit file's event (moby #41227). It
// returns the exit once known.
export async function reconcileInit(c: ManagedContainer): Promise<ExitInfo | undefined> {
  const init = c.init;
  if (!init.state.is("running", "paused", "created")) return init.exit;
  // Never started: nothing runs that could have ended.
  if (init.run === undefined) return undefined;
  const state = await c.ctx.runc.state(c.id).catch(() => undefined);
  if (state !== undefined && state.status !== "stopped") return undefined;
  const code = await readInitExitFile(c);
  if (code !== undefined) {
    await handleInitExit(c, code);
    return init.exit;
  }
  // No exit file: the monitor is either still draining output (it will
  // write one) or dead, and then the kernel may still hold the code.
  if (init.monitor !== undefined && (await probe(init.monitor)).state === "alive") return undefined;
  const gone = init.identity === undefined ? undefined : await probe(init.identity);
  if (gone?.state === "alive") return undefined;
  const zombieCode = gone?.state === "gone" ? gone.exitCode : undefined;
  await handleInitExit(c, zombieCode ?? UNKNOWN_EXIT_CODE, { monitorDied: zombieCode === undefined });
  return init.exit;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
