// ManagedContainer groups one container's processes, after containerd's
// runc/container.go. Every client operation runs under the container's
// serial queue and checks the init process's state first; exits arrive
// outside the queue and only make synchronous transitions, so an exit can
// never deadlock behind an operation that waits for it.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { access, unlink } from "node:fs/promises";
import { join } from "node:path";

import { CgroupStatsReader } from "../cgroup/stats-reader.js";
import { findCgroupPaths, type CgroupPaths } from "../cgroup/cgroup-paths.js";
import { listCgroupPids } from "../cgroup/list-pids.js";
import { failedPrecondition, isBerthError } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { ContainerSchema, EventType, type Container, type Stats } from "../gen/berth/v1/types_pb.js";
import type { ContainerRecord } from "./container-record.js";
import { exitFromRecord, exitRecord, RecordWriter } from "./container-record.js";
import { ExecSet } from "./exec-set.js";
import { ContainerPaths } from "./layout.js";
import { ManagedProcess, type ExitInfo } from "./managed-process.js";
import type { RuntimeContext } from "./runtime-context.js";
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
  // started opens once start-container is published (or Create failed), so
  // an exit is never published ahead of the start it follows.
  private openStarted!: () => void;
  readonly started = new Promise<void>((resolve) => (this.openStarted = resolve));

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
    this.record = new RecordWriter(this.paths.record, () => this.snapshot());
  }

  get namespace(): string {
    return this.ctx.namespace;
  }

  // onInitExit handles the exit file conmon wrote for the init process.
  async onInitExit(exitCode: number): Promise<void> {
    await this.started;
    if (this.ctx.closed || this.removed || this.init.exit !== undefined || !this.init.state.is("running", "paused", "created")) return;
    const oomKilled = await exists(join(this.paths.persist, "oom"));
    await this.execs.waitAllExited(EXEC_EXIT_GRACE_MS);
    const exit: ExitInfo = { exitCode, exitedAt: new Date(), oomKilled };
    if (this.ctx.closed || !this.init.markExited(exit)) return;
    this.closeStats();
    if (oomKilled) this.ctx.publish(this.id, EventType.OOM, { processId: INIT_PROCESS_ID, pid: this.init.pid });
    this.ctx.publish(this.id, EventType.EXIT, { processId: INIT_PROCESS_ID, pid: this.init.pid, exitCode, oomKilled });
    await this.record.save();
    // The record now holds the exit; the watcher's copy has done its job.
    await unlink(join(this.ctx.exitDir, this.id)).catch(() => {});
  }

  markStartPublished(): void {
    this.openStarted();
  }

  requireLive(verb: string): void {
    if (this.removed) throw failedPrecondition(`cannot ${verb} a deleted container`);
    this.init.state.require(verb, "running", "paused");
  }

  async pause(): Promise<void> {
    this.init.state.require("pause", "running");
    await this.ctx.runc.pause(this.id);
    if (!this.init.state.tryTransition("paused")) throw failedPrecondition(`cannot pause a ${this.init.state.name} container`);
    this.ctx.publish(this.id, EventType.PAUSE, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  async resume(): Promise<void> {
    this.init.state.require("resume", "paused");
    await this.ctx.runc.resume(this.id);
    if (!this.init.state.tryTransition("running")) throw failedPrecondition(`cannot resume a ${this.init.state.name} container`);
    this.ctx.publish(this.id, EventType.RESUME, { processId: INIT_PROCESS_ID, pid: this.init.pid });
  }

  // signal sends sig to the init process (or, with all, to every process in
  // the container). A process found gone is reconciled, not blindly failed.
  async signal(sig: number, all: boolean): Promise<void> {
    this.init.state.require("signal", "running", "paused", "created");
    if (all) {
      await this.ctx.runc.kill(this.id, sig, true);
      return;
    }
    try {
      process.kill(this.init.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      throw failedPrecondition(`cannot signal container ${this.id}: its init process ${this.init.pid} has already exited`);
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
    });
  }

  snapshot(): ContainerRecord {
    const proc = (p: ManagedProcess) => ({
      id: p.id,
      args: [...p.args],
      terminal: p.terminal,
      stdin: p.stdin,
      pid: p.pid,
      startedAt: p.startedAt?.toISOString(),
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
