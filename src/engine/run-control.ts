// Start, Stop and Restart: a user's control of a container's runs, as the
// Runtime seed's ContainerStart and ContainerStop (both idempotent) and
// dockervm's Stop with a force timeout. The caller holds the container's
// queue; exits arrive outside it (handleInitExit), so waiting here for an
// exit never deadlocks.
//
// Each run is a new monitor and `runc create` + `runc start` on the same
// bundle and root filesystem, so what the container wrote survives a stop
// and a start. The events: START_CONTAINER for Start (of a created or a
// stopped container), EXIT when a run ends, RESTART for Restart's new run.
import { BerthError, failedPrecondition, invalidArgument, isBerthError } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { failpoint } from "../faults/failpoint.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { settlesWithin, withTimeout } from "./deadline.js";
import { connectAndLaunch, disconnectRun } from "./container-network.js";
import { superviseInit } from "./init-exit.js";
import { launchInit, startInit, stopRun } from "./launch-init.js";
import type { ManagedContainer } from "./managed-container.js";
import type { ExitInfo } from "./managed-process.js";
import type { ProcessRun } from "./process-state.js";
import { UNKNOWN_EXIT_CODE } from "./monitor-liveness.js";
import { isStopSignal } from "./restart-manager.js";
import { PUBLISHED_SAVE_WAIT_MS, savePublished } from "./save-published.js";
import { NO_SPAN, type Span } from "../trace/span.js";

// dockervm's DefaultForceStopTimeout.
export const DEFAULT_STOP_TIMEOUT_S = 10;
export const MAX_STOP_TIMEOUT_S = 3600;
// How long a SIGKILLed container may take to be reported gone.
const KILL_WAIT_MS = 10_000;

export interface StopOutcome {
  // exit is the stopped run's exit; undefined for a container never started.
  exit: ExitInfo | undefined;
  killed: boolean;
}

export function checkStopTimeout(seconds: number | undefined): number {
  const s = seconds ?? DEFAULT_STOP_TIMEOUT_S;
  if (!Number.isInteger(s) || s < 0 || s > MAX_STOP_TIMEOUT_S) {
    throw invalidArgument(`timeout_seconds ${seconds} must be a whole number of seconds from 0 to ${MAX_STOP_TIMEOUT_S}`);
  }
  return s;
}

// startContainer starts a created or stopped container as a new run. A
// running or paused one is left as it is; a RESTARTING one starts now, its
// pending restart cancelled.
export async function startContainer(c: ManagedContainer, span: Span = NO_SPAN): Promise<void> {
  if (c.init.state.is("running", "paused")) return;
  c.init.state.require("start", "created", "stopped");
  await newRun(c, EventType.START_CONTAINER, span);
}

// stopContainer sends sig to the init process, waits timeoutS for the
// container to exit, then SIGKILLs every process of it. A container that is
// not running is left as it is (a pending restart is cancelled): stopping
// is idempotent.
export async function stopContainer(c: ManagedContainer, sig: number, timeoutS: number): Promise<StopOutcome> {
  const init = c.init;
  if (init.state.is("created")) return { exit: undefined, killed: false };
  if (init.state.is("stopped")) {
    if (c.restarts.stoppedByUser()) await c.record.save();
    return { exit: init.exit, killed: false };
  }
  const exited = init.exited();
  // A user's stop, whatever the signal: no restart policy undoes it.
  c.restarts.state.manuallyStopped = true;
  const paused = init.state.is("paused");
  try {
    await c.signalNow(sig, false);
    // A stop signal thaws a paused container (signalNow); any other must
    // too, or the container could never act on it.
    if (paused && !isStopSignal(sig) && init.state.is("paused")) await c.resumeNow();
  } catch (err) {
    // Gone already: its exit is recorded or on its way.
    if (!isBerthError(err, "failed_precondition")) throw err;
  }
  const inTime = await settlesWithin(exited, timeoutS * 1000);
  const exit = inTime ? await exited : await killAndWait(c, exited);
  return { exit, killed: !inTime };
}

// killAndWait SIGKILLs every process of a running or paused container (a
// paused one is thawed to die, with its RESUME event) and waits, bounded,
// for the exit. The caller holds the queue.
export async function killAndWait(c: ManagedContainer, exited = c.init.exited(), span: Span = NO_SPAN): Promise<ExitInfo> {
  try {
    await c.signalNow(9, true);
  } catch (err) {
    // Already gone: the exit is recorded or on its way; anything else is real.
    if (!isBerthError(err, "failed_precondition") && !isBerthError(err, "not_found")) throw err;
  }
  span.step("kill");
  const exit = await withTimeout(exited, KILL_WAIT_MS, `container ${c.id} did not exit within ${KILL_WAIT_MS / 1000}s of SIGKILL`);
  span.step("exit wait");
  return exit;
}

// restartContainer stops a running container as stopContainer does, then
// starts it again (RESTART); a created or stopped one is simply started.
export async function restartContainer(c: ManagedContainer, sig: number, timeoutS: number): Promise<StopOutcome> {
  const wasRunning = c.init.state.is("running", "paused");
  const outcome = await stopContainer(c, sig, timeoutS);
  await newRun(c, wasRunning ? EventType.RESTART : EventType.START_CONTAINER);
  return outcome;
}

// newRun starts a run of a created or stopped container for a user. The
// journal must prove it can write before anything runs: the start event,
// once published, cannot be taken back, so a full disk fails the call here.
// A run that fails to start leaves the container as it was, with nothing of
// the run left.
async function newRun(c: ManagedContainer, event: EventType.START_CONTAINER | EventType.RESTART, span: Span = NO_SPAN): Promise<void> {
  if (c.phase !== undefined) throw failedPrecondition(`cannot start container ${c.id} while it is being ${c.phase === "creating" ? "created" : "deleted"}`);
  await c.ctx.durable();
  span.step("journal flush");
  // Whatever the policy had planned is off: the user starts it now.
  c.restarts.dropPending();
  const run = await beginRun(c, "start", span);
  // Started by a user: a later exit is the policy's again to act on.
  c.restarts.state.manuallyStopped = false;
  publishRun(c, run, event);
  failpoint("start:after-event");
  span.step("start event");
  await savePublished(c, "it started", PUBLISHED_SAVE_WAIT_MS);
  span.step("record write (started)");
}

// scheduleRestart arms the restart the policy decided on; it runs in the
// container's queue when due.
export function scheduleRestart(c: ManagedContainer): void {
  c.restarts.schedule(() => {
    // The queue, not locked(): a container deleted meanwhile is no error.
    c.queue.run(() => restartRun(c)).catch(c.ctx.reportError);
  });
}

// restartRun starts a stopped container again for its restart policy, in
// the container's queue, announced by a restart event. A start that fails
// counts as a run that failed at once: the policy decides again, with a
// longer back-off.
async function restartRun(c: ManagedContainer): Promise<void> {
  if (c.removed || c.phase !== undefined || c.ctx.closed || !c.init.state.is("stopped") || !c.restarts.pending) return;
  let run: ProcessRun;
  try {
    run = await beginRun(c, "restart");
  } catch (err) {
    c.ctx.reportError(new BerthError("internal", `cannot restart container ${c.namespace}/${c.id}: ${(err as Error).message}`, { cause: err }));
    c.restarts.restarted();
    const again = c.restarts.decide(UNKNOWN_EXIT_CODE, 0) !== undefined;
    // The next try is armed even while the record cannot be saved.
    await savePublished(c, "its restart failed", 0);
    if (again) scheduleRestart(c);
    return;
  }
  c.restarts.restarted();
  publishRun(c, run, EventType.RESTART);
  failpoint("restart:after-event");
  await savePublished(c, "it restarted", 0);
}

// beginRun makes and starts a new run on the container's bundle and root
// filesystem, after clearing what the runtime holds of the last one. A run
// that fails to start is cleared again, and the error thrown.
async function beginRun(c: ManagedContainer, why: "start" | "restart", span: Span = NO_SPAN): Promise<ProcessRun> {
  // The last run's poststop hooks go first (OCI: they end that run).
  await c.poststop.settle();
  span.step("poststop hooks");
  await stopRun(c.ctx.runc, c.id, c.paths, c.ctx.exitDir, span);
  c.closeStartGate();
  c.runBeganAtMs = Date.now();
  // The run is made from the bundle's spec, which Update may have changed
  // since the last one.
  c.init.args = c.spec.process?.args ?? c.init.args;
  c.init.terminal = c.spec.process?.terminal === true;
  if (c.nextRunStdin !== undefined) c.init.stdin = c.nextRunStdin;
  c.nextRunStdin = undefined;
  try {
    const run = await connectAndLaunch(c, () => launchInit(c, span));
    // With the ADD beside runc create, this is what the ADD took beyond it.
    span.step("network connect");
    failpoint(`${why}:after-runc-create`);
    await startInit(c, run, span);
    return run;
  } catch (err) {
    c.markStartPublished();
    await stopRun(c.ctx.runc, c.id, c.paths, c.ctx.exitDir).catch(c.ctx.reportError);
    await c.poststop.afterFailedRun(true);
    await disconnectRun(c).catch(c.ctx.reportError);
    throw BerthError.from(err);
  }
}

// publishRun marks the run started and announces it; exits held back while
// it started may go out from here on.
function publishRun(c: ManagedContainer, run: ProcessRun, event: EventType.START_CONTAINER | EventType.RESTART): void {
  c.init.start(run);
  c.emit(event, { processId: INIT_PROCESS_ID, pid: c.init.pid });
  c.markStartPublished();
  superviseInit(c);
}
