// ManagedContainer groups one container's processes, after containerd's
// runc/container.go. Every client operation runs under the container's
// serial queue and checks the init process's state first; exits arrive
// outside the queue and only make synchronous transitions, so an exit can
// never deadlock behind an operation that waits for it.
//
// Every event about the container goes out through emit(), which remembers
// its sequence; the record saved after it says which events it reflects,
// so restore can tell what a crash interrupted (see restore-journal.ts).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { access, unlink } from "node:fs/promises";
import { join } from "node:path";

import { CgroupStatsReader } from "../cgroup/stats-reader.js";
import { findCgroupPaths, type CgroupPaths } from "../cgroup/cgroup-paths.js";
import { listCgroupPids } from "../cgroup/list-pids.js";
import { applyResources } from "../cgroup/apply-resources.js";
import { freezeCgroup } from "../cgroup/freeze-cgroup.js";
import type { CheckedResources } from "../spec/resources.js";
import { writeFileAtomic } from "./atomic-file.js";
import { failedPrecondition, isBerthError } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { ContainerSchema, EventType, type Container, type Event, type Stats } from "../gen/berth/v1/types_pb.js";
import type { ContainerRecord, ProcessRecord } from "./container-record.js";
import { exitFromRecord, exitRecord, RecordWriter } from "./container-record.js";
import { ExecSet } from "./exec-set.js";
import { readExitFile } from "./exit-watcher.js";
import { restartRun } from "./launch-init.js";
import { ContainerPaths } from "./layout.js";
import { ManagedProcess, type ExitInfo } from "./managed-process.js";
import { superviseMonitor, UNKNOWN_EXIT_CODE } from "./monitor-liveness.js";
import { probe, signalProcess } from "./process-identity.js";
import { isStopSignal, restartPolicyMessage, RestartManager } from "./restart-manager.js";
import type { PublishFields, RuntimeContext } from "./runtime-context.js";
import { SerialQueue } from "./serial-queue.js";
import type { OciSpec } from "../spec/oci-spec.js";

// How long an init exit waits for its exec'd processes to report theirs, so
// the init exit is published last (containerd's rule).
const EXEC_EXIT_GRACE_MS = 2000;

export class ManagedContainer {
  readonly queue = new SerialQueue();
  readonly paths: ContainerPaths;
  readonly execs: ExecSet;
  readonly record: RecordWriter;
  private statsReader: CgroupStatsReader | undefined;
  private cgroup: CgroupPaths | undefined;
  private removedWaiters: Array<() => void> = [];
  removed = false;
  // startGate opens once the run's start-container or restart event is
  // published (or the start failed), so an exit is never published ahead of
  // the start it follows; each restart closes it again.
  private startGate!: Promise<void>;
  private openStartGate!: () => void;
  // sequence is the last event published about this container.
  sequence = 0n;
  // phase is "creating" until start-container is published and "deleting"
  // once Delete began removing files (see ContainerRecord.phase).
  phase: ContainerRecord["phase"];
  restarts = RestartManager.initial({ name: "no", maxRetries: 0 });
  // runBeganAtMs is when the current run's monitor was started; an exit
  // file older than that belongs to an earlier run.
  runBeganAtMs = 0;

  constructor(
    readonly ctx: RuntimeContext,
    readonly id: string,
    dir: string,
    readonly init: ManagedProcess,
    readonly spec: OciSpec,
    readonly labels: Record<string, string>,
    readonly createdAt: Date,
    public rootfsMounted: boolean,
  ) {
    this.paths = new ContainerPaths(dir);
    this.execs = new ExecSet(this);
    this.record = new RecordWriter(this.paths.record, () => this.snapshot(), () => ctx.durable());
    this.closeStartGate();
  }

  get namespace(): string {
    return this.ctx.namespace;
  }

  // emit publishes an event about this container and remembers its sequence.
  emit(type: EventType, fields: PublishFields): Event {
    const event = this.ctx.publish(this.id, type, fields);
    this.sequence = event.sequence;
    return event;
  }

  // onInitExit handles the exit of the init process: from the exit file
  // conmon wrote (writtenAtMs is its time, to tell an earlier run's file
  // apart), or from the liveness poller when the monitor died.
  async onInitExit(exitCode: number, how: { writtenAtMs?: number; monitorDied?: boolean } = {}): Promise<void> {
    await this.startGate;
    if (how.writtenAtMs !== undefined && how.writtenAtMs < this.runBeganAtMs) return;
    if (this.ctx.closed || this.removed || this.init.exit !== undefined || !this.init.state.is("running", "paused", "created")) return;
    const monitorDied = how.monitorDied === true;
    const oomKilled = !monitorDied && (await exists(join(this.paths.persist, "oom")));
    // containerd's rule: the init exit is published after every exec exit.
    await this.execs.waitAllExited(EXEC_EXIT_GRACE_MS);
    await this.execs.reconcileAll();
    const exit: ExitInfo = { exitCode, exitedAt: new Date(), oomKilled, monitorDied };
    if (this.ctx.closed || !this.init.markExited(exit)) return;
    this.closeStats();
    if (oomKilled) this.emit(EventType.OOM, { processId: INIT_PROCESS_ID, pid: this.init.pid });
    this.emit(EventType.EXIT, { processId: INIT_PROCESS_ID, pid: this.init.pid, exitCode, oomKilled, monitorDied });
    const ranMs = exit.exitedAt.getTime() - (this.init.startedAt?.getTime() ?? exit.exitedAt.getTime());
    const restart = this.restarts.decide(exitCode, ranMs) !== undefined;
    await this.record.save();
    // The record now holds the exit; the watcher's copy has done its job.
    await unlink(join(this.ctx.exitDir, this.id)).catch(() => {});
    if (restart) this.scheduleRestart();
  }

  // scheduleRestart arms the restart the manager decided on.
  scheduleRestart(): void {
    this.restarts.schedule(() => {
      this.queue.run(() => restartRun(this)).catch(this.ctx.reportError);
    });
  }

  // supervise watches the init process's monitor, so that a monitor that
  // dies is noticed and the exit reported honestly, never waited for in vain.
  supervise(): void {
    const run = this.runBeganAtMs;
    superviseMonitor(
      this.ctx.liveness,
      {
        what: `container ${this.namespace}/${this.id}`,
        monitor: this.init.monitor,
        process: this.init.identity,
        exitFile: () => this.readExitFile(),
        exited: () => this.init.exit !== undefined || this.removed || this.runBeganAtMs !== run,
        onExit: (code, monitorDied) => void this.onInitExit(code, { monitorDied }).catch(this.ctx.reportError),
      },
      this.ctx.reportError,
    );
  }

  // readExitFile reads the exit code conmon wrote for the current run.
  async readExitFile(): Promise<number | undefined> {
    return (await readExitFile(join(this.ctx.exitDir, this.id))) ?? (await readExitFile(join(this.paths.persist, "exit")));
  }

  // reconcile learns at once the exit of an init process the runtime says is
  // gone, instead of waiting for the exit file's event (moby #41227). It
  // returns the exit once known.
  async reconcile(): Promise<ExitInfo | undefined> {
    if (!this.init.state.is("running", "paused", "created")) return this.init.exit;
    const state = await this.ctx.runc.state(this.id).catch(() => undefined);
    if (state !== undefined && state.status !== "stopped") return undefined;
    const code = await this.readExitFile();
    if (code !== undefined) {
      await this.onInitExit(code);
      return this.init.exit;
    }
    // No exit file: the monitor is either still draining output (it will
    // write one) or dead, and then the kernel may still hold the code.
    if (this.init.monitor !== undefined && (await probe(this.init.monitor)).state === "alive") return undefined;
    const gone = this.init.identity === undefined ? undefined : await probe(this.init.identity);
    if (gone?.state === "alive") return undefined;
    const zombieCode = gone?.state === "gone" ? gone.exitCode : undefined;
    await this.onInitExit(zombieCode ?? UNKNOWN_EXIT_CODE, { monitorDied: zombieCode === undefined });
    return this.init.exit;
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

  async pause(): Promise<void> {
    this.init.state.require("pause", "running");
    // The freezer directly: runc pause would cost a process spawn.
    await freezeCgroup(this.cgroupPaths(), true);
    if (!this.init.state.tryTransition("paused")) throw failedPrecondition(`cannot pause a ${this.init.state.name} container`);
    this.emit(EventType.PAUSE, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  async resume(): Promise<void> {
    this.init.state.require("resume", "paused");
    await freezeCgroup(this.cgroupPaths(), false);
    if (!this.init.state.tryTransition("running")) throw failedPrecondition(`cannot resume a ${this.init.state.name} container`);
    this.emit(EventType.RESUME, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  // signal sends sig to the init process (or, with all, to every process in
  // the container). A stop signal marks the container stopped by a user, so
  // no restart policy starts it again; sent while a restart is pending, it
  // cancels that restart. A process found gone is reconciled, not blindly
  // failed.
  async signal(sig: number, all: boolean): Promise<void> {
    const stop = isStopSignal(sig);
    if (stop && this.init.state.is("stopped") && this.restarts.pending) {
      this.restarts.stoppedByUser();
      await this.record.save();
      return;
    }
    this.init.state.require("signal", "running", "paused", "created");
    const stoppedBefore = this.restarts.state.manuallyStopped;
    if (stop) this.restarts.state.manuallyStopped = true;
    let delivered: boolean;
    try {
      delivered = all ? await this.killAll(sig) : await signalProcess(this.init.pid, this.init.identity, sig);
    } catch (err) {
      this.restarts.state.manuallyStopped = stoppedBefore;
      throw err;
    }
    if (delivered) return;
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
  async updateResources(r: CheckedResources): Promise<void> {
    this.requireLive("update");
    applyResources(this.cgroupPaths(), r);
    const res = ((this.spec.linux ??= {}).resources ??= {});
    if (r.memory !== undefined || r.swap !== undefined) res.memory = { ...res.memory, ...(r.memory !== undefined && { limit: r.memory }), ...(r.swap !== undefined && { swap: r.swap }) };
    if (r.shares !== undefined || r.quota !== undefined || r.period !== undefined || r.cpus !== undefined) {
      res.cpu = { ...res.cpu, ...(r.shares !== undefined && { shares: r.shares }), ...(r.quota !== undefined && { quota: r.quota }), ...(r.period !== undefined && { period: r.period }), ...(r.cpus !== undefined && { cpus: r.cpus }) };
    }
    if (r.pids !== undefined) res.pids = { limit: r.pids };
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

  private closeStats(): void {
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

  markRemoved(): void {
    this.removed = true;
    this.restarts.cancel();
    this.closeStats();
    if (!this.init.state.is("deleted")) this.init.state.tryTransition("deleted");
    const waiters = this.removedWaiters;
    this.removedWaiters = [];
    for (const w of waiters) w();
  }

  info(): Container {
    const exit = this.init.exit;
    return create(ContainerSchema, {
      id: this.id,
      namespace: this.namespace,
      status: this.init.state.toStatus(),
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
    };
  }
}

export { exitFromRecord };

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
