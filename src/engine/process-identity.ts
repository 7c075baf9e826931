// ProcessIdentity tells one process apart from a later one that reuses its
// pid: the pid with the start time the kernel gives it (clock ticks since
// boot, field 22 of /proc/<pid>/stat). berth records one for each monitor
// (conmon) and each process it starts, so a daemon started again, or a
// signal sent long after, never mistakes a stranger for them.
import { readProcStat } from "../runtime/proc-stat.js";

export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

// ProcessProbe is what /proc says of an identity now. A process that is gone
// may still leave its exit code behind: a zombie nobody has reaped yet.
export type ProcessProbe = { state: "alive" } | { state: "gone"; exitCode?: number };

// identify reads the identity of a live (or zombie) process; undefined when
// the pid is not there.
export async function identify(pid: number): Promise<ProcessIdentity | undefined> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const stat = readProcStat(pid);
  return stat && { pid, startTime: stat.startTime };
}

// probe says whether the process named by id still runs. A pid now held by
// another process, or a zombie, counts as gone.
export async function probe(id: ProcessIdentity): Promise<ProcessProbe> {
  const stat = readProcStat(id.pid);
  if (stat === undefined || stat.startTime !== id.startTime) return { state: "gone" };
  if (stat.state === "Z" || stat.state === "X") return { state: "gone", exitCode: decodeWaitStatus(stat.waitStatus) };
  return { state: "alive" };
}

// decodeWaitStatus turns a waitpid(2) status into a shell-style exit code:
// the code itself, or 128 + the signal that killed the process.
export function decodeWaitStatus(status: number | undefined): number | undefined {
  if (status === undefined || !Number.isInteger(status) || status < 0) return undefined;
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

// signalProcess sends sig to pid if it is still the process id names (a
// process whose identity is unknown is signalled by pid alone). It returns
// false when the process is gone: a pid is never signalled after its
// process ended, when it may already belong to another.
export async function signalProcess(pid: number, id: ProcessIdentity | undefined, sig: number): Promise<boolean> {
  // kill(0) and kill(-1) would signal the daemon's process group or every
  // process: a process with no pid yet has nothing to signal.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (id !== undefined && (await probe(id)).state === "gone") return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}
