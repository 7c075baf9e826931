// The lifecycle of every process, a container's init and each exec'd one,
// after containerd's process/init_state.go: each state lists the states it
// may move to. A client asking for an operation in the wrong state gets
// FAILED_PRECONDITION naming the state found; an illegal transition inside
// berth is a bug and throws loudly.
import { failedPrecondition, internal } from "../errors/berth-error.js";
import { Status } from "../gen/berth/v1/types_pb.js";

export type ProcessStateName = "created" | "running" | "paused" | "stopped" | "deleted";

const NEXT: Record<ProcessStateName, readonly ProcessStateName[]> = {
  // created -> stopped: the process died before it was started.
  created: ["running", "stopped", "deleted"],
  running: ["paused", "stopped"],
  // paused -> stopped: the process dies frozen (a cgroup v2 freezer lets
  // SIGKILL through; an OOM kill). A stop signal berth sends a paused
  // container goes through running instead: berth thaws it to let it act.
  paused: ["running", "stopped"],
  // stopped -> running: a restart policy starts the container again.
  stopped: ["running", "deleted"],
  deleted: [],
};

export class ProcessState {
  private current: ProcessStateName;
  // shownAs names the state in messages when the holder knows more than
  // the process does: a stopped container whose restart is pending is
  // "restarting", as its status says.
  shownAs: (name: ProcessStateName) => string = (name) => name;

  constructor(
    // kind names the process in messages: "container" or "process".
    private readonly kind: string,
    initial: ProcessStateName = "created",
  ) {
    this.current = initial;
  }

  get name(): ProcessStateName {
    return this.current;
  }

  is(...names: ProcessStateName[]): boolean {
    return names.includes(this.current);
  }

  // require throws FAILED_PRECONDITION unless the process is in one of the
  // allowed states: "cannot pause a stopped container".
  require(verb: string, ...allowed: ProcessStateName[]): void {
    if (!allowed.includes(this.current)) {
      throw failedPrecondition(`cannot ${verb} a ${this.shownAs(this.current)} ${this.kind} (it must be ${allowed.join(" or ")})`);
    }
  }

  // transition moves to the next state; anything not in the table is a bug.
  transition(to: ProcessStateName): void {
    if (!NEXT[this.current].includes(to)) {
      throw internal(`illegal ${this.kind} state transition ${this.current} -> ${to}`);
    }
    this.current = to;
  }

  // tryTransition moves only if legal, for events that race with operations
  // (an exit arriving while a pause is in flight); it says whether it moved.
  tryTransition(to: ProcessStateName): boolean {
    if (!NEXT[this.current].includes(to)) return false;
    this.current = to;
    return true;
  }

  toStatus(): Status {
    return statusOf(this.current);
  }
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
