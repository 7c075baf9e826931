// ManagedProcess is one process berth started: a container's init or an
// exec'd process. It holds the state machine, the exit once known, and the
// waiters for that exit.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

import { ExitStatusSchema, ProcessInfoSchema, type ExitStatus, type ProcessInfo } from "../gen/berth/v1/types_pb.js";
import type { ProcessIdentity } from "./process-identity.js";
import { ProcessState, type ProcessStateName } from "./process-state.js";

export interface ExitInfo {
  exitCode: number;
  exitedAt: Date;
  oomKilled: boolean;
  // monitorDied: the monitor died before recording the exit, so exitCode
  // (255) is not the process's own.
  monitorDied?: boolean;
}

export class ManagedProcess {
  readonly state: ProcessState;
  pid = 0;
  startedAt: Date | undefined;
  exit: ExitInfo | undefined;
  // stdin is true when the process was started with its stdin open.
  stdin = false;
  // identity and monitor tell this run of the process and its conmon apart
  // from later holders of their pids; unknown for a process that ended at once.
  identity: ProcessIdentity | undefined;
  monitor: ProcessIdentity | undefined;
  // exitWaiters are resolved on the next exit (NOT_RUNNING and NEXT_EXIT).
  private exitWaiters: Array<(e: ExitInfo) => void> = [];

  constructor(
    readonly id: string,
    // args may change between runs of an init process (Update's process).
    public args: readonly string[],
    public terminal: boolean,
    kind: "container" | "process",
    initial: ProcessStateName = "created",
  ) {
    this.state = new ProcessState(kind, initial);
  }

  // markStarted records a start; for a restart it clears the previous exit.
  markStarted(pid: number, at = new Date()): void {
    this.state.transition("running");
    this.pid = pid;
    this.startedAt = at;
    this.exit = undefined;
  }

  // markExited records the exit and wakes the waiters. It returns false when
  // the exit was already recorded: an exit code, once known, is never
  // replaced by another.
  markExited(exit: ExitInfo): boolean {
    if (this.exit !== undefined || this.state.is("stopped", "deleted")) return false;
    this.state.transition("stopped");
    this.exit = exit;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w(exit);
    return true;
  }

  // nextExit resolves at the next exit of this process.
  nextExit(signal?: AbortSignal): Promise<ExitInfo> {
    return new Promise((resolve, reject) => {
      const waiter = (e: ExitInfo) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(e);
      };
      const onAbort = () => {
        this.exitWaiters = this.exitWaiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.exitWaiters.push(waiter);
    });
  }

  // exited resolves with the exit, at once if the process already ended.
  exited(signal?: AbortSignal): Promise<ExitInfo> {
    return this.exit !== undefined ? Promise.resolve(this.exit) : this.nextExit(signal);
  }

  info(): ProcessInfo {
    return create(ProcessInfoSchema, {
      id: this.id,
      pid: this.state.is("running", "paused", "created") ? this.pid : 0,
      status: this.state.toStatus(),
      exitCode: this.exit?.exitCode,
      startedAt: this.startedAt ? timestampFromDate(this.startedAt) : undefined,
      exitedAt: this.exit ? timestampFromDate(this.exit.exitedAt) : undefined,
      args: [...this.args],
      terminal: this.terminal,
      stdin: this.stdin,
      monitorDied: this.exit?.monitorDied === true,
    });
  }
}

// waitResult is what Wait returns for an exit: its status, flagged
// monitorDied when the monitor died before recording it (exit code 255,
// not the process's own). It is an answer, not an error: State reports the
// same exit, and a caller must be able to tell it from a real 255.
export function waitResult(_containerId: string, _processId: string, exit: ExitInfo): ExitStatus {
  return exitStatusOf(exit);
}

export function exitStatusOf(exit: ExitInfo): ExitStatus {
  return create(ExitStatusSchema, {
    exitCode: exit.exitCode,
    exitedAt: timestampFromDate(exit.exitedAt),
    oomKilled: exit.oomKilled,
    monitorDied: exit.monitorDied === true,
  });
}
