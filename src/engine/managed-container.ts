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

import type { InspectResult, LogLine, LogOptions, RestartResult, StopResult } from "../api/client-options.js";
import type { CopyTarget } from "../api/copy-target.js";
import { aborted, failedPrecondition, internal, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { WaitCondition } from "../gen/berth/v1/containers_pb.js";
import { EventType, Status, type Container, type Event, type ExitStatus, type ProcessInfo, type ProcessSummary, type Stats } from "../gen/berth/v1/types_pb.js";
import type { NetworkState } from "../network/network-state.js";
import type { OciSpec } from "../spec/oci-spec.js";
import type { ProcessOptions } from "../spec/process-spec.js";
import { applyResourcesToSpec, type CheckedResources } from "../spec/resources.js";
import { traced } from "../trace/span.js";
import { writeFileAtomic } from "./atomic-file.js";
import { ContainerCgroup } from "./container-cgroup.js";
import type { ContainerRecord, CreatedWith } from "./container-record.js";
import { RecordWriter } from "./container-record.js";
import { signalContainer } from "./container-signals.js";
import { containerInfo, recordOf } from "./container-views.js";
import { copyTargetOf } from "./copy-target.js";
import { ExecSet } from "./exec-set.js";
import { handleInitExit, reconcileInit, type InitExitSource } from "./init-exit.js";
import { inspectContainer, layerSize } from "./inspect-container.js";
import { ContainerPaths } from "./layout.js";
import { readLogs } from "./log-reader.js";
import { exitStatusOf, ManagedProcess, waitResult, type ExitInfo, type ProcessRun, type ProcessStatus } from "./managed-process.js";
import { PoststopHooks } from "./poststop-hooks.js";
import { summarizeProcesses } from "./process-summary.js";
import { RestartManager } from "./restart-manager.js";
import { restartContainer, scheduleRestart, startContainer, stopContainer } from "./run-control.js";
import type { PublishFields, RuntimeContext } from "./runtime-context.js";
import { SerialQueue } from "./serial-queue.js";
import { parseSignal } from "./signals.js";
import { closeStdin, logPathOf, resizeTerminal } from "./terminal-control.js";
import { updateContainer, type CheckedUpdate } from "./update-container.js";

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
  readonly cgroup: ContainerCgroup;
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
  // nextRunStdin is the stdin an Update gave the next run's init process;
  // the run under way keeps its own.
  nextRunStdin: boolean | undefined;
  readonly poststop = new PoststopHooks(this);
  // network is the container's network state (network.json); undefined
  // for a container with network none and nothing to bind.
  network: NetworkState | undefined;

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
    this.cgroup = new ContainerCgroup(id, () => this.init.pid);
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
    const span = this.ctx.tracer.begin("kill", this.namespace, this.id);
    return traced(span, () =>
      this.locked(expected, async () => {
        span.step("queue wait");
        await this.signalNow(sig, all);
        span.step("signal");
      }),
    );
  }

  updateResources(r: CheckedResources, expected?: bigint): Promise<void> {
    return this.locked(expected, async () => {
      await this.updateResourcesNow(r);
      this.changed();
      await this.record.save();
    });
  }

  start(expected?: bigint): Promise<Container> {
    const span = this.ctx.tracer.begin("start", this.namespace, this.id);
    return traced(span, () =>
      this.locked(expected, async () => {
        span.step("queue wait");
        await startContainer(this, span);
        return this.info();
      }),
    );
  }

  // stop and restart send sig, or the container's own stop signal.
  stop(sig: number | undefined, timeoutS: number, expected?: bigint): Promise<StopResult> {
    return this.locked(expected, async () => {
      const { exit, killed } = await stopContainer(this, sig ?? this.stopSignalNumber(), timeoutS);
      return { exitStatus: exit && exitStatusOf(exit), killed, container: this.info() };
    });
  }

  restart(sig: number | undefined, timeoutS: number, expected?: bigint): Promise<RestartResult> {
    return this.locked(expected, async () => {
      const { killed } = await restartContainer(this, sig ?? this.stopSignalNumber(), timeoutS);
      return { killed, container: this.info() };
    });
  }

  update(u: CheckedUpdate, expected?: bigint): Promise<Container> {
    return this.locked(expected, async () => {
      await updateContainer(this, u);
      return this.info();
    });
  }

  // inspect reads in the queue, so that it never sees half an Update; the
  // layer's size is walked outside it, since a large layer takes a while
  // and must not hold up the container's other calls.
  async inspect(size: boolean): Promise<InspectResult> {
    const result = await this.locked(undefined, () => inspectContainer(this));
    if (size) result.sizeRwBytes = await layerSize(this);
    return result;
  }

  // openForCopy hands open what a copy needs of the container (see
  // copyTargetOf), in the queue, so the run cannot change while open opens
  // the root; the copy itself runs outside the queue, so a long one never
  // holds up Stop or Delete.
  openForCopy<T>(open: (target: CopyTarget) => Promise<T>): Promise<T> {
    return this.locked(undefined, async () => open(await copyTargetOf(this)));
  }

  addProcess(processId: string, options: ProcessOptions, expected?: bigint): Promise<ProcessInfo> {
    const span = this.ctx.tracer.begin("exec", this.namespace, this.id, processId);
    return traced(span, () =>
      this.locked(expected, async () => {
        span.step("queue wait");
        return (await this.execs.start(processId, options, span)).info();
      }),
    );
  }

  signalProcess(processId: string, sig: number, expected?: bigint): Promise<void> {
    return this.locked(expected, () => (processId === INIT_PROCESS_ID ? this.signalNow(sig, false) : this.execs.signal(processId, sig)));
  }

  resize(processId: string, width: number, height: number, expected?: bigint): Promise<void> {
    return this.locked(expected, () => resizeTerminal(this, processId, width, height));
  }

  closeStdin(processId: string, expected?: bigint): Promise<void> {
    return this.locked(expected, () => closeStdin(this, processId));
  }

  // restore reconciles the container with the runtime: an exit missed while
  // nobody watched is learned now.
  restore(): Promise<Container> {
    return this.locked(undefined, async () => {
      await this.reconcile();
      return this.info();
    });
  }

  // process is the init process ("init") or an exec'd one; NOT_FOUND else.
  process(processId: string): ManagedProcess {
    return processId === INIT_PROCESS_ID ? this.init : this.execs.get(processId);
  }

  // wait waits for a process's exit (or the container's removal), as the
  // condition says. Outside the queue: it may wait for as long as the
  // process runs, and exits never need the queue.
  async wait(processId: string, condition: WaitCondition, signal?: AbortSignal): Promise<ExitStatus> {
    const p = this.process(processId);
    switch (condition) {
      case WaitCondition.NEXT_EXIT:
        return waitResult(this.id, processId, await p.nextExit(signal));
      case WaitCondition.REMOVED:
        await this.waitRemoved(signal);
        return exitStatusOf(p.exit ?? { exitCode: 255, exitedAt: new Date(), oomKilled: false });
      default:
        return waitResult(this.id, processId, await p.exited(signal));
    }
  }

  // logs reads (and with follow, follows) what a process wrote.
  logs(processId: string, options: LogOptions): AsyncIterable<LogLine> {
    const p = this.process(processId);
    return readLogs({ path: logPathOf(this, processId), exited: p.exited(options.signal).catch(() => {}), isRunning: () => p.state.is("running", "paused", "created") }, options);
  }

  // summary lists the container's processes as the kernel sees them,
  // naming those berth started.
  summary(): Promise<ProcessSummary[]> {
    const pids = this.listPids();
    const byPid = new Map<number, string>();
    if (this.init.state.is("running", "paused")) byPid.set(this.init.pid, INIT_PROCESS_ID);
    for (const p of this.execs.all()) if (p.state.is("running", "paused")) byPid.set(p.pid, p.id);
    return summarizeProcesses(pids, (pid) => byPid.get(pid) ?? "");
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
    await this.cgroup.freeze(true);
    if (!this.init.pause()) throw failedPrecondition(`cannot pause a ${this.init.state.name} container`);
    this.emit(EventType.PAUSE, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  async resumeNow(): Promise<void> {
    this.init.state.require("resume", "paused");
    await this.cgroup.freeze(false);
    if (!this.init.resume()) throw failedPrecondition(`cannot resume a ${this.init.state.name} container`);
    this.emit(EventType.RESUME, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  // signalNow sends sig to the init process, or to every process with all
  // (see signalContainer).
  signalNow(sig: number, all: boolean): Promise<void> {
    return signalContainer(this, sig, all);
  }

  // thawAfterExit thaws the cgroup of a container whose init exited while it
  // was paused, as containerd's pausedState.SetExited does: the kernel has
  // sent SIGKILL to the rest of its processes, which a frozen cgroup would
  // otherwise keep for ever. Best effort, and no RESUME: the container does
  // not run again.
  async thawAfterExit(): Promise<void> {
    await this.cgroup.thawIfKnown();
  }

  stats(): Stats {
    this.requireLive("read stats of");
    return this.cgroup.stats();
  }

  listPids(): number[] {
    this.requireLive("list the processes of");
    return this.cgroup.pids();
  }

  // updateResourcesNow applies new limits through the cgroup files and
  // keeps them in the bundle's spec, so the container's next runs keep them.
  async updateResourcesNow(r: CheckedResources): Promise<void> {
    this.requireLive("update");
    this.cgroup.apply(r);
    applyResourcesToSpec(this.spec, r);
    await writeFileAtomic(this.paths.config, JSON.stringify(this.spec));
  }

  closeStats(): void {
    this.cgroup.forget();
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

  // info is the container's state as the API shows it.
  info(): Container {
    return containerInfo(this);
  }

  // snapshot is what the record on disk keeps of the container.
  snapshot(): ContainerRecord {
    return recordOf(this);
  }
}
