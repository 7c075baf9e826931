// ManagedProcess is one process berth started: a container's init or an
// exec'd process. It holds the process's state (a tagged union, see
// process-state.ts), changed only in move(), and the waiters for its exit.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

import { ExitStatusSchema, ProcessInfoSchema, type ExitStatus, type ProcessInfo, type Status } from "../gen/berth/v1/types_pb.js";
import type { ExitInfo } from "./exit-info.js";
import type { ProcessIdentity } from "./process-identity.js";
import { canMove, illegalMove, statusOf, wrongState, type ProcessRun, type ProcessStateName, type ProcessStatus } from "./process-state.js";

export type { ExitInfo } from "./exit-info.js";
export type { ProcessRun, ProcessStatus } from "./process-state.js";

// ProcessStateReader is what callers may ask of a process's state; only
// the process itself changes it.
export interface ProcessStateReader {
  readonly name: ProcessStateName;
  is(...names: ProcessStateName[]): boolean;
  require(verb: string, ...allowed: ProcessStateName[]): void;
  toStatus(): Status;
}

export class ManagedProcess implements ProcessStateReader {
  #status: ProcessStatus;
  // stdin is true when the process was started with its stdin open.
  stdin = false;
  // shownAs names the state in messages when the holder knows more than
  // the process does: a stopped container whose restart is pending is
  // "restarting", as its status says.
  shownAs: (name: ProcessStateName) => string = (name) => name;
  // exitWaiters are resolved on the next exit (NOT_RUNNING and NEXT_EXIT).
  private exitWaiters: Array<(e: ExitInfo) => void> = [];

  constructor(
    readonly id: string,
    // args and terminal may change between runs of an init process
    // (Update's process).
    public args: readonly string[],
    public terminal: boolean,
    // kind names the process in messages: "container" or "process".
    private readonly kind: "container" | "process",
    initial: ProcessStatus = { name: "created" },
  ) {
    this.#status = initial;
  }

  // state reads the state; the transitions below are the only writers.
  get state(): ProcessStateReader {
    return this;
  }

  get status(): Readonly<ProcessStatus> {
    return this.#status;
  }

  get name(): ProcessStateName {
    return this.#status.name;
  }

  is(...names: ProcessStateName[]): boolean {
    return names.includes(this.#status.name);
  }

  require(verb: string, ...allowed: ProcessStateName[]): void {
    if (!this.is(...allowed)) throw wrongState(verb, this.shownAs(this.#status.name), this.kind, allowed);
  }

  toStatus(): Status {
    return statusOf(this.#status.name);
  }

  // run is the current or last run, if the process ever had one.
  get run(): Readonly<ProcessRun> | undefined {
    return this.#status.run;
  }

  // pid is the current or last run's pid; 0 if it never had one.
  get pid(): number {
    return this.#status.run?.pid ?? 0;
  }

  get identity(): ProcessIdentity | undefined {
    return this.#status.run?.identity;
  }

  get monitor(): ProcessIdentity | undefined {
    return this.#status.run?.monitor;
  }

  get startedAt(): Date | undefined {
    return this.#status.run?.startedAt;
  }

  get exit(): ExitInfo | undefined {
    const s = this.#status;
    return s.name === "stopped" || s.name === "deleted" ? s.exit : undefined;
  }

  // prepare records the run the runtime made, which waits to be started.
  prepare(run: ProcessRun): void {
    this.move({ name: "created", run });
  }

  // start begins a run: the one prepared, or run (a new run of a stopped
  // process). The previous exit is gone with it.
  start(run?: ProcessRun, at = new Date()): void {
    const next = run ?? this.#status.run;
    if (next === undefined || (run === undefined && !this.is("created"))) throw illegalMove(this.kind, this.name, "running");
    this.move({ name: "running", run: { ...next, startedAt: next.startedAt ?? at } });
  }

  // pause and resume say whether they moved: an exit may have won the race.
  pause(): boolean {
    const s = this.#status;
    if (s.name !== "running") return false;
    this.move({ name: "paused", run: s.run });
    return true;
  }

  resume(): boolean {
    const s = this.#status;
    if (s.name !== "paused") return false;
    this.move({ name: "running", run: s.run });
    return true;
  }

  // identified fills in the identities of the current run once known.
  identified(identity: ProcessIdentity | undefined, monitor: ProcessIdentity | undefined): void {
    const run = this.#status.run;
    if (run === undefined) return;
    run.identity ??= identity;
    run.monitor ??= monitor;
  }

  // markExited records the exit and wakes the waiters. It returns false when
  // the exit was already recorded: an exit code, once known, is never
  // replaced by another.
  markExited(exit: ExitInfo): boolean {
    const s = this.#status;
    if (s.name === "stopped" || s.name === "deleted") return false;
    this.move({ name: "stopped", run: s.run, exit });
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w(exit);
    return true;
  }

  // markDeleted ends the process's story; it says whether it moved.
  markDeleted(): boolean {
    const s = this.#status;
    if (!canMove(s.name, "deleted")) return false;
    this.move({ name: "deleted", run: s.run, exit: s.name === "stopped" ? s.exit : undefined });
    return true;
  }

  // move is the one place the state changes.
  private move(next: ProcessStatus): void {
    if (!canMove(this.#status.name, next.name)) throw illegalMove(this.kind, this.#status.name, next.name);
    this.#status = next;
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
    const exit = this.exit;
    return exit !== undefined ? Promise.resolve(exit) : this.nextExit(signal);
  }

  info(): ProcessInfo {
    const exit = this.exit;
    return create(ProcessInfoSchema, {
      id: this.id,
      pid: this.is("running", "paused", "created") ? this.pid : 0,
      status: this.toStatus(),
      exitCode: exit?.exitCode,
      startedAt: this.startedAt ? timestampFromDate(this.startedAt) : undefined,
      exitedAt: exit ? timestampFromDate(exit.exitedAt) : undefined,
      args: [...this.args],
      terminal: this.terminal,
      stdin: this.stdin,
      monitorDied: exit?.monitorDied === true,
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
