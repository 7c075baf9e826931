// How a signal reaches a container's processes, running or frozen. The
// caller holds the container's queue.
import { failedPrecondition, isBerthError } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import type { ManagedContainer } from "./managed-container.js";
import { signalProcess } from "./process-identity.js";
import { isStopSignal } from "./restart-manager.js";

const SIGKILL = 9;

// signalContainer sends sig to the init process (or, with all, to every
// process in the container). A stop signal marks the container stopped by
// a user, so no restart policy starts it again; sent while a restart is
// pending, it cancels that restart. A process found gone is reconciled, not
// blindly failed.
//
// On a paused container every signal is sent while it is frozen, and the
// kernel holds it; a stop signal then thaws the container (a RESUME), since
// a frozen process cannot act even on SIGKILL (cgroup v1) and a user who
// stops a container means it to stop, as Docker's kill does. Any other
// signal leaves it paused, to be acted on at Resume.
export async function signalContainer(c: ManagedContainer, sig: number, all: boolean): Promise<void> {
  const init = c.init;
  const stop = isStopSignal(sig);
  if (stop && init.state.is("stopped") && c.restarts.pending) {
    c.restarts.stoppedByUser();
    await c.record.save();
    return;
  }
  init.state.require("signal", "running", "paused", "created");
  if (init.state.is("created") && init.pid <= 0) throw failedPrecondition(`cannot signal container ${c.id}: it was created without starting and has no process yet (Start it first)`);
  const paused = init.state.is("paused");
  const stoppedBefore = c.restarts.state.manuallyStopped;
  if (stop) c.restarts.state.manuallyStopped = true;
  let delivered: boolean;
  try {
    delivered = !all ? await signalProcess(init.pid, init.identity, sig) : paused ? signalFrozen(c, sig) : await killAll(c, sig);
  } catch (err) {
    c.restarts.state.manuallyStopped = stoppedBefore;
    throw err;
  }
  if (delivered) {
    if (paused && stop) await thawToStop(c);
    return;
  }
  // The process had ended on its own before the signal: not a user's stop.
  c.restarts.state.manuallyStopped = stoppedBefore;
  const exit = await c.reconcile();
  const how = exit === undefined ? "" : exit.monitorDied ? " (its monitor died too; exit code unknown)" : ` with exit code ${exit.exitCode}`;
  throw failedPrecondition(`cannot signal container ${c.id}: its init process has already exited${how}`);
}

// killAll signals every process of the container through the runtime; it
// returns false when the runtime says the container is not running.
//
// SIGKILL needs no runtime when the container has a pid namespace of its
// own: when a namespace's init dies the kernel kills every other process
// in it (pid_namespaces(7)), and every process berth runs in a container
// (exec'd ones too) is in that namespace. That saves spawning `runc kill
// --all` on every force Delete and every Stop that has to kill.
async function killAll(c: ManagedContainer, sig: number): Promise<boolean> {
  if (sig === SIGKILL && ownsPidNamespace(c)) return signalProcess(c.init.pid, c.init.identity, sig);
  try {
    await c.ctx.runc.kill(c.id, sig, true);
    return true;
  } catch (err) {
    if (isBerthError(err, "failed_precondition") || isBerthError(err, "not_found")) return false;
    throw err;
  }
}

function ownsPidNamespace(c: ManagedContainer): boolean {
  return c.spec.linux?.namespaces?.some((ns) => ns.type === "pid" && (ns.path === undefined || ns.path === "")) === true;
}

// signalFrozen signals every process of a paused container directly: `runc
// kill --all` would thaw the cgroup afterwards whatever the signal (runc
// 1.1 freezes, signals and thaws), and berth's state would lie. The pids
// of a frozen cgroup cannot exit or be reused while it stays frozen, so
// signalling them by pid is as safe as runc's own freeze-and-signal.
function signalFrozen(c: ManagedContainer, sig: number): boolean {
  let pids: number[];
  try {
    pids = c.cgroup.pids();
  } catch (err) {
    if (isBerthError(err, "failed_precondition")) return false;
    throw err;
  }
  let delivered = false;
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
      delivered = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }
  return delivered;
}

// thawToStop thaws a paused container that was just sent a stop signal,
// so that it can act on it. The exit may already have been recorded (a
// cgroup v2 freezer lets SIGKILL through): then there is nothing to
// resume and no RESUME event.
async function thawToStop(c: ManagedContainer): Promise<void> {
  try {
    await c.cgroup.freeze(false);
  } catch (err) {
    if (isBerthError(err, "failed_precondition") || isBerthError(err, "not_found")) return;
    throw err;
  }
  if (c.init.resume()) c.emit(EventType.RESUME, { processId: INIT_PROCESS_ID, pid: c.init.pid });
}
