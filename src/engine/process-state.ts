// The lifecycle of every process, a container's init and each exec'd one,
// after containerd's process/init_state.go, as a tagged union: each state
// carries the data it owns (a running process its run: pid, identities,
// start time; a stopped one its exit), and the table below lists the
// states each may move to. ManagedProcess holds one and changes it in one
// private place. A client asking for an operation in the wrong state gets
// FAILED_PRECONDITION naming the state found; an illegal transition inside
// berth is a bug and throws loudly.
//
//   created ──start──► running ◄──resume/pause──► paused
//      │                  │                          │
//      └──── exit ────────┴───────── exit ───────────┴──► stopped ──start──► running
//                                                           │  (a new run)
//   any but running/paused ──────────── delete ─────────────┴──► deleted
import { failedPrecondition, internal } from "../errors/berth-error.js";
import { Status } from "../gen/berth/v1/types_pb.js";
import type { ExitInfo } from "./exit-info.js";
import type { ProcessIdentity } from "./process-identity.js";

// ProcessRun is one run of a process: what the runtime made, and what tells
// it and its monitor apart from later holders of their pids (unknown for a
// process that ended at once).
export interface ProcessRun {
  pid: number;
  identity?: ProcessIdentity;
  monitor?: ProcessIdentity;
  startedAt?: Date;
}

export type ProcessStatus =
  // created: not started; run is set once the runtime made the process and
  // it waits for `runc start`, absent for a container created without start.
  | { name: "created"; run?: ProcessRun }
  | { name: "running"; run: ProcessRun }
  | { name: "paused"; run: ProcessRun }
  // stopped: the run (if it ever ran) ended with exit.
  | { name: "stopped"; run?: ProcessRun; exit: ExitInfo }
  | { name: "deleted"; run?: ProcessRun; exit?: ExitInfo };

export type ProcessStateName = ProcessStatus["name"];

const NEXT: Record<ProcessStateName, readonly ProcessStateName[]> = {
  // created -> created: the runtime made the process (prepare).
  // created -> stopped: the process died before it was started.
  created: ["created", "running", "stopped", "deleted"],
  running: ["paused", "stopped"],
  // paused -> stopped: the process dies frozen (a cgroup v2 freezer lets
  // SIGKILL through; an OOM kill). A stop signal berth sends a paused
  // container goes through running instead: berth thaws it to let it act.
  paused: ["running", "stopped"],
  // stopped -> running: a new run (Start, Restart, a restart policy).
  stopped: ["running", "deleted"],
  deleted: [],
};

// canMove tells whether the table allows from -> to.
export function canMove(from: ProcessStateName, to: ProcessStateName): boolean {
  return NEXT[from].includes(to);
}

export function illegalMove(kind: string, from: ProcessStateName, to: ProcessStateName): Error {
  return internal(`illegal ${kind} state transition ${from} -> ${to}`);
}

// wrongState is the FAILED_PRECONDITION a client gets for an operation in
// the wrong state: "cannot pause a stopped container (it must be running)".
export function wrongState(verb: string, shown: string, kind: string, allowed: readonly ProcessStateName[]): Error {
  return failedPrecondition(`cannot ${verb} a ${shown} ${kind} (it must be ${allowed.join(" or ")})`);
}

export function statusOf(name: ProcessStateName): Status {
  switch (name) {
    case "created":
      return Status.CREATED;
    case "running":
      return Status.RUNNING;
    case "paused":
      return Status.PAUSED;
    case "stopped":
    case "deleted":
      return Status.STOPPED;
    default: {
      const never: never = name;
      throw internal(`unknown process state ${String(never)}`);
    }
  }
}
