// ManagedContainer is one container, after containerd's runc/container.go:
// its init process, its exec'd processes, its record, and its state, a
// tagged union (ContainerState) made of two machines, each changed in one
// private place:
//
//   the container's lifecycle (#lifecycle, changed by #enter):
//
//     creating ──► live ──► deleting ──► deleted
//        │          ▲          │
//        │          └──────────┘ (a Delete that could not mark its record)
//        └──────────────────────────────► deleted (a Create undone)
//
//   while live, its init process's run state (ManagedProcess, changed by
//   its move; see process-state.ts):
//
//     created ─► running ◄─► paused        (running and paused own the run:
//        │          │           │           pid, identities, start time)
//        └──────────┴─────┬─────┘
//                         ▼
//                      stopped ─► running   (a new run: Start, Restart or
//                   (owns the exit)          the restart policy, which shows
//                                            the container as RESTARTING)
//
// Every public operation takes the container's queue itself (locked: lock
// outside, behaviour inside) and checks the caller's expected revision in
// it; the ...Now methods are the behaviour, for callers already in the
// queue. Exits arrive outside the queue and only make synchronous
// transitions, so an exit can never deadlock behind an operation that
// waits for it.
//
// Every event about the container goes out through emit(), which remembers
// its sequence; the record saved after it says which events it reflects,
// so restore can tell what a crash interrupted (see restore-journal.ts).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

import { CgroupStatsReader } from "../cgroup/stats-reader.js";
import { findCgroupPaths, type CgroupPaths } from "../cgroup/cgroup-paths.js";
import { listCgroupPids } from "../cgroup/list-pids.js";
import { applyResources } from "../cgroup/apply-resources.js";
import { freezeCgroup } from "../cgroup/freeze-cgroup.js";
import { applyResourcesToSpec, type CheckedResources } from "../spec/resources.js";
import { writeFileAtomic } from "./atomic-file.js";
import { aborted, failedPrecondition, internal, isBerthError, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { ContainerSchema, EventType, Status, type Container, type Event, type ProcessInfo, type Stats } from "../gen/berth/v1/types_pb.js";
import type { InspectResult } from "../api/client-options.js";
import type { ProcessOptions } from "../spec/process-spec.js";
import { inspectContainer } from "./inspect-container.js";
import { restartContainer, scheduleRestart, startContainer, stopContainer, type StopOutcome } from "./run-control.js";
import { parseSignal } from "./signals.js";
import { updateContainer, type CheckedUpdate } from "./update-container.js";
import type { ContainerRecord, CreatedWith, ProcessRecord } from "./container-record.js";
import { exitFromRecord, exitRecord, RecordWriter } from "./container-record.js";
import { ExecSet } from "./exec-set.js";
import { handleInitExit, reconcileInit, type InitExitSource } from "./init-exit.js";
import { ContainerPaths } from "./layout.js";
import { ManagedProcess, type ExitInfo, type ProcessRun, type ProcessStatus } from "./managed-process.js";
import { signalProcess } from "./process-identity.js";
import { isStopSignal, restartPolicyMessage, RestartManager } from "./restart-manager.js";
import type { PublishFields, RuntimeContext } from "./runtime-context.js";
import { SerialQueue } from "./serial-queue.js";
import type { OciSpec } from "../spec/oci-spec.js";

// Lifecycle is the container's own part of its state; while "live", the
// init process's state says the rest.
type Lifecycle = "creating" | "live" | "deleting" | "deleted";

const LIFECYCLE_NEXT: Record<Lifecycle, readonly Lifecycle[]> = {
  creating: ["live", "deleted"],
  live: ["deleting", "deleted"],
  deleting: ["live", "deleted"],
  deleted: [],
};

export type ContainerState =
  | { name: "creating" }
  | Exclude<ProcessStatus, { name: "stopped" } | { name: "deleted" }>
  // stopped: restartAt is set while the restart policy will start it again.
  | { name: "stopped"; run?: ProcessRun; exit: ExitInfo; restartAt?: Date }
  | { name: "deleting"; exit?: ExitInfo }
  | { name: "deleted"; exit?: ExitInfo };

export class ManagedContainer {
  readonly queue = new SerialQueue();
  readonly paths: ContainerPaths;
  readonly execs: ExecSet;
  readonly record: RecordWriter;
  private statsReader: CgroupStatsReader | undefined;
  private cgroup: CgroupPaths | undefined;
  private removedWaiters: Array<() => void> = [];
  #lifecycle: Lifecycle;
  // startGate opens once the run's start-container or restart event is
  // published (or the start failed), so an exit is never published ahead of
  // the start it follows; each restart closes it again.
  private startGate!: Promise<void>;
  private openStartGate!: () => void;
  // sequence is the last event published about this container.
  sequence = 0n;
  restarts = RestartManager.initial({ name: "no", maxRetries: 0 });
  // runBeganAtMs is when the current run's monitor was started; an exit
  // file older than that belongs to an earlier run.
  runBeganAtMs = 0;
  // revision counts the changes of configuration and run state: every
  // event about the container and every Update (see checkRevision).
  revision = 0n;
  // stopSignal is the signal Stop sends first, by name.
  stopSignal = "SIGTERM";
  createdWith: CreatedWith = {};

  constructor(
    readonly ctx: RuntimeContext,
    readonly id: string,
    dir: string,
    readonly init: ManagedProcess,
    readonly spec: OciSpec,
    public labels: Record<string, string>,
    readonly createdAt: Date,
    public rootfsMounted: boolean,
    lifecycle: "creating" | "live" = "live",
  ) {
    this.#lifecycle = lifecycle;
    this.paths = new ContainerPaths(dir);
    this.execs = new ExecSet(this);
    this.record = new RecordWriter(this.paths.record, () => this.snapshot(), () => ctx.durable());
    this.closeStartGate();
    init.shownAs = (name) => (name === "stopped" && this.restarts.pending ? "restarting" : name);
  }

  get namespace(): string {
    return this.ctx.namespace;
  }

  // emit publishes an event about this container and remembers its
  // sequence; each event is a change of run state, so a new revision.
  emit(type: EventType, fields: PublishFields): Event {
    const event = this.ctx.publish(this.id, type, { ...fields, revision: this.revision + 1n });
    this.revision++;
    this.sequence = event.sequence;
    return event;
  }

  // changed counts a change of configuration (no event tells of it).
  changed(): void {
    this.revision++;
  }

  // checkRevision fails a call made against a revision the container has
  // moved on from (VIC's Commit of a stale handle): the caller reads the
  // container again and decides anew. Called inside the queue, so nothing
  // the queue orders can change the revision between check and act.
  checkRevision(expected: bigint | undefined): void {
    if (expected === undefined || expected === this.revision) return;
    throw aborted(`container ${this.id} is at revision ${this.revision}, not ${expected}: it changed since it was read; read it again and retry`);
  }

  // locked runs a caller's operation in the container's queue, once the
  // caller's expected revision holds: every public operation goes through
  // it (lock outside, behaviour inside).
  locked<T>(expected: bigint | undefined, op: () => Promise<T> | T): Promise<T> {
    return this.queue.run(async () => {
      if (this.removed) throw notFound(`container ${quote(this.id)} not found: it was deleted`);
      this.checkRevision(expected);
      return op();
    });
  }

  pause(expected?: bigint): Promise<void> {
    return this.locked(expected, () => this.pauseNow());
  }

  resume(expected?: bigint): Promise<void> {
    return this.locked(expected, () => this.resumeNow());
  }

  signal(sig: number, all: boolean, expected?: bigint): Promise<void> {
    return this.locked(expected, () => this.signalNow(sig, all));
  }

  updateResources(r: CheckedResources, expected?: bigint): Promise<void> {
    return this.locked(expected, async () => {
      await this.updateResourcesNow(r);
      this.changed();
      await this.record.save();
    });
  }

  start(expected?: bigint): Promise<Container> {
    return this.locked(expected, async () => {
      await startContainer(this);
      return this.info();
    });
  }

  stop(sig: number, timeoutS: number, expected?: bigint): Promise<StopOutcome> {
    return this.locked(expected, () => stopContainer(this, sig, timeoutS));
  }

  restart(sig: number, timeoutS: number, expected?: bigint): Promise<StopOutcome> {
    return this.locked(expected, () => restartContainer(this, sig, timeoutS));
  }

  update(u: CheckedUpdate, expected?: bigint): Promise<Container> {
    return this.locked(expected, async () => {
      await updateContainer(this, u);
      return this.info();
    });
  }

  // inspect reads in the queue, so that it never sees half an Update.
  inspect(size: boolean): Promise<InspectResult> {
    return this.locked(undefined, () => inspectContainer(this, size));
  }

  addProcess(processId: string, options: ProcessOptions, expected?: bigint): Promise<ProcessInfo> {
    return this.locked(expected, async () => (await this.execs.start(processId, options)).info());
  }

  signalProcess(processId: string, sig: number, expected?: bigint): Promise<void> {
    return this.locked(expected, () => (processId === INIT_PROCESS_ID ? this.signalNow(sig, false) : this.execs.signal(processId, sig)));
  }

  // scheduleRestart arms the restart the policy decided on.
  scheduleRestart(): void {
    scheduleRestart(this);
  }

  // stopSignalNumber is the number of the container's stop signal.
  stopSignalNumber(): number {
    return parseSignal(this.stopSignal);
  }

  // onInitExit handles the exit of the init process (see handleInitExit).
  onInitExit(exitCode: number, how: InitExitSource = {}): Promise<void> {
    return handleInitExit(this, exitCode, how);
  }

  // reconcile learns at once an exit the runtime knows of (see reconcileInit).
  reconcile(): Promise<ExitInfo | undefined> {
    return reconcileInit(this);
  }

  // started resolves once the current run's start is published.
  get started(): Promise<void> {
    return this.startGate;
  }

  markStartPublished(): void {
    this.openStartGate();
  }

  // closeStartGate holds exits back while a new run starts.
  closeStartGate(): void {
    this.startGate = new Promise<void>((resolve) => (this.openStartGate = resolve));
  }

  requireLive(verb: string): void {
    if (this.removed) throw failedPrecondition(`cannot ${verb} a deleted container`);
    this.init.state.require(verb, "running", "paused");
  }

  // pauseNow and the other ...Now methods are the behaviour; the caller
  // holds the queue.
  async pauseNow(): Promise<void> {
    this.init.state.require("pause", "running");
    // The freezer directly: runc pause would cost a process spawn.
    await freezeCgroup(this.cgroupPaths(), true);
    if (!this.init.pause()) throw failedPrecondition(`cannot pause a ${this.init.state.name} container`);
    this.emit(EventType.PAUSE, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  async resumeNow(): Promise<void> {
    this.init.state.require("resume", "paused");
    await freezeCgroup(this.cgroupPaths(), false);
    if (!this.init.resume()) throw failedPrecondition(`cannot resume a ${this.init.state.name} container`);
    this.emit(EventType.RESUME, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  // signal sends sig to the init process (or, with all, to every process in
  // the container). A stop signal marks the container stopped by a user, so
  // no restart policy starts it again; sent while a restart is pending, it
  // cancels that restart. A process found gone is reconciled, not blindly
  // failed.
  //
  // On a paused container every signal is sent while it is frozen, and the
  // kernel holds it; a stop signal then thaws the container (a RESUME), since
  // a frozen process cannot act even on SIGKILL (cgroup v1) and a user who
  // stops a container means it to stop, as Docker's kill does. Any other
  // signal leaves it paused, to be acted on at Resume.
  async signalNow(sig: number, all: boolean): Promise<void> {
    const stop = isStopSignal(sig);
    if (stop && this.init.state.is("stopped") && this.restarts.pending) {
      this.restarts.stoppedByUser();
      await this.record.save();
      return;
    }
    this.init.state.require("signal", "running", "paused", "created");
    if (this.init.state.is("created") && this.init.pid <= 0) throw failedPrecondition(`cannot signal container ${this.id}: it was created without starting and has no process yet (Start it first)`);
    const paused = this.init.state.is("paused");
    const stoppedBefore = this.restarts.state.manuallyStopped;
    if (stop) this.restarts.state.manuallyStopped = true;
    let delivered: boolean;
    try {
      delivered = !all
        ? await signalProcess(this.init.pid, this.init.identity, sig)
        : paused
          ? this.signalFrozen(sig)
          : await this.killAll(sig);
    } catch (err) {
      this.restarts.state.manuallyStopped = stoppedBefore;
      throw err;
    }
    if (delivered) {
      if (paused && stop) await this.thawToStop();
      return;
    }
    // The process had ended on its own before the signal: not a user's stop.
    this.restarts.state.manuallyStopped = stoppedBefore;
    const exit = await this.reconcile();
    const how = exit === undefined ? "" : exit.monitorDied ? " (its monitor died too; exit code unknown)" : ` with exit code ${exit.exitCode}`;
    throw failedPrecondition(`cannot signal container ${this.id}: its init process has already exited${how}`);
  }

  // killAll signals every process of the container through the runtime; it
  // returns false when the runtime says the container is not running.
  private async killAll(sig: number): Promise<boolean> {
    try {
      await this.ctx.runc.kill(this.id, sig, true);
      return true;
    } catch (err) {
      if (isBerthError(err, "failed_precondition") || isBerthError(err, "not_found")) return false;
      throw err;
    }
  }

  // signalFrozen signals every process of a paused container directly: `runc
  // kill --all` would thaw the cgroup afterwards whatever the signal (runc
  // 1.1 freezes, signals and thaws), and berth's state would lie. The pids
  // of a frozen cgroup cannot exit or be reused while it stays frozen, so
  // signalling them by pid is as safe as runc's own freeze-and-signal.
  private signalFrozen(sig: number): boolean {
    let pids: number[];
    try {
      pids = listCgroupPids(this.cgroupPaths());
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
  private async thawToStop(): Promise<void> {
    try {
      await freezeCgroup(this.cgroupPaths(), false);
    } catch (err) {
      if (isBerthError(err, "failed_precondition") || isBerthError(err, "not_found")) return;
      throw err;
    }
    if (this.init.resume()) this.emit(EventType.RESUME, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  // thawAfterExit thaws the cgroup of a container whose init exited while it
  // was paused, as containerd's pausedState.SetExited does: the kernel has
  // sent SIGKILL to the rest of its processes, which a frozen cgroup would
  // otherwise keep for ever. Best effort, and no RESUME: the container does
  // not run again.
  async thawAfterExit(): Promise<void> {
    if (this.cgroup === undefined) return;
    await freezeCgroup(this.cgroup, false).catch(() => {});
  }

  stats(): Stats {
    this.requireLive("read stats of");
    try {
      this.statsReader ??= new CgroupStatsReader(this.cgroupPaths());
      return this.statsReader.read();
    } catch (err) {
      this.closeStats();
      throw err;
    }
  }

  listPids(): number[] {
    this.requireLive("list the processes of");
    return listCgroupPids(this.cgroupPaths());
  }

  // updateResources applies new limits through the cgroup files and keeps
  // them in the bundle's spec, so a restart of the container keeps them too.
  async updateResourcesNow(r: CheckedResources): Promise<void> {
    this.requireLive("update");
    applyResources(this.cgroupPaths(), r);
    applyResourcesToSpec(this.spec, r);
    await writeFileAtomic(this.paths.config, JSON.stringify(this.spec));
  }

  private cgroupPaths(): CgroupPaths {
    try {
      this.cgroup ??= findCgroupPaths(this.init.pid);
    } catch (err) {
      if (isBerthError(err, "failed_precondition")) throw failedPrecondition(`container ${this.id} is not running: its init process is gone`);
      throw err;
    }
    return this.cgroup;
  }

  closeStats(): void {
    this.statsReader?.close();
    this.statsReader = undefined;
    this.cgroup = undefined;
  }

  // waitRemoved resolves once the container is deleted.
  waitRemoved(signal?: AbortSignal): Promise<void> {
    if (this.removed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.removedWaiters = this.removedWaiters.filter((w) => w !== done);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.removedWaiters.push(done);
    });
  }

  // phase is "creating" until the Create is done (its start published, or
  // the container saved as created) and "deleting" once a Delete began
  // removing files: the record keeps it (see ContainerRecord.phase).
  get phase(): ContainerRecord["phase"] {
    return this.#lifecycle === "creating" ? "creating" : this.#lifecycle === "deleting" ? "deleting" : undefined;
  }

  get removed(): boolean {
    return this.#lifecycle === "deleted";
  }

  // markLive ends a Create: the container exists from here on.
  markLive(): void {
    this.#enter("live");
  }

  // markDeleting begins a Delete; unmarkDeleting undoes one that could not
  // mark the record, having removed and published nothing.
  markDeleting(): void {
    this.#enter("deleting");
  }

  unmarkDeleting(): void {
    this.#enter("live");
  }

  // #enter is the one place the lifecycle changes.
  #enter(next: Lifecycle): void {
    if (!LIFECYCLE_NEXT[this.#lifecycle].includes(next)) throw internal(`illegal container lifecycle transition ${this.#lifecycle} -> ${next}`);
    this.#lifecycle = next;
  }

  // state is the container's state as one tagged union, each state with
  // the data it owns.
  get state(): ContainerState {
    switch (this.#lifecycle) {
      case "creating":
        return { name: "creating" };
      case "deleting":
        return { name: "deleting", exit: this.init.exit };
      case "deleted":
        return { name: "deleted", exit: this.init.exit };
      case "live": {
        const s = this.init.status;
        if (s.name === "stopped") return { ...s, restartAt: this.restarts.nextRestartAt };
        if (s.name === "deleted") return { name: "deleted", exit: s.exit };
        return s;
      }
    }
  }

  markRemoved(): void {
    if (this.#lifecycle === "deleted") return;
    this.#enter("deleted");
    this.restarts.cancel();
    this.closeStats();
    this.init.markDeleted();
    const waiters = this.removedWaiters;
    this.removedWaiters = [];
    for (const w of waiters) w();
  }

  // status is the init process's, except that a stopped container whose
  // restart is pending is RESTARTING.
  status(): Status {
    const s = this.state;
    switch (s.name) {
      case "creating":
        return Status.CREATED;
      case "stopped":
        return s.restartAt !== undefined ? Status.RESTARTING : Status.STOPPED;
      case "deleting":
      case "deleted":
        return Status.STOPPED;
      default:
        return this.init.state.toStatus();
    }
  }

  info(): Container {
    const exit = this.init.exit;
    const status = this.status();
    const nextRestartAt = status === Status.RESTARTING ? this.restarts.nextRestartAt : undefined;
    return create(ContainerSchema, {
      id: this.id,
      namespace: this.namespace,
      status,
      pid: this.init.state.is("running", "paused", "created") ? this.init.pid : 0,
      labels: { ...this.labels },
      createdAt: timestampFromDate(this.createdAt),
      exitCode: exit?.exitCode,
      exitedAt: exit ? timestampFromDate(exit.exitedAt) : undefined,
      oomKilled: exit?.oomKilled ?? false,
      bundle: this.paths.bundle,
      processes: [this.init.info(), ...this.execs.all().map((p) => p.info())],
      restartPolicy: restartPolicyMessage(this.restarts.state.policy),
      restartCount: this.restarts.state.count,
      monitorDied: exit?.monitorDied === true,
      nextRestartAt: nextRestartAt && timestampFromDate(nextRestartAt),
      revision: this.revision,
      stopSignal: this.stopSignal,
    });
  }

  snapshot(): ContainerRecord {
    const proc = (p: ManagedProcess): ProcessRecord => ({
      id: p.id,
      args: [...p.args],
      terminal: p.terminal,
      stdin: p.stdin,
      pid: p.pid,
      startedAt: p.startedAt?.toISOString(),
      startTime: p.identity?.startTime,
      monitor: p.monitor,
      exit: exitRecord(p.exit),
      ...(p.state.is("created") && { created: true }),
    });
    return {
      version: 1,
      id: this.id,
      namespace: this.namespace,
      createdAt: this.createdAt.toISOString(),
      labels: this.labels,
      rootfsMounted: this.rootfsMounted,
      init: proc(this.init),
      execs: this.execs.all().map(proc),
      sequence: this.sequence.toString(),
      phase: this.phase,
      restart: { ...this.restarts.state, policy: { ...this.restarts.state.policy } },
      revision: this.revision.toString(),
      stopSignal: this.stopSignal,
      createdWith: this.createdWith,
    };
  }
}

export { exitFromRecord };

