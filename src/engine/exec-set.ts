// ExecSet owns a container's exec'd processes: starting them under their own
// conmon, hearing their exits, signalling them. Ended processes stay listed
// (with their exit codes) until the container is deleted, bounded so a
// long-lived container that execs forever does not grow without end.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { alreadyExists, failedPrecondition, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { failpoint } from "../faults/failpoint.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { startConmon } from "../runtime/conmon.js";
import { buildExecProcess, type ProcessOptions } from "../spec/process-spec.js";
import { NO_SPAN, type Span } from "../trace/span.js";
import { settlesWithin } from "./deadline.js";
import { readExitFile } from "./exit-watcher.js";
import { ExecPaths } from "./layout.js";
import type { ManagedContainer } from "./managed-container.js";
import { ManagedProcess } from "./managed-process.js";
import { superviseMonitor } from "./monitor-liveness.js";
import { identify, signalProcess } from "./process-identity.js";
import { PUBLISHED_SAVE_WAIT_MS, savePublished } from "./save-published.js";

const MAX_ENDED_EXECS = 256;

export class ExecSet {
  private readonly procs = new Map<string, ManagedProcess>();

  constructor(private readonly container: ManagedContainer) {}

  all(): ManagedProcess[] {
    return [...this.procs.values()];
  }

  get(processId: string): ManagedProcess {
    const p = this.procs.get(processId);
    if (p === undefined) throw notFound(`process ${quote(processId)} not found in container ${this.container.id}`);
    return p;
  }

  // adopt puts a process known from the state directory back in the set.
  adopt(p: ManagedProcess): void {
    this.procs.set(p.id, p);
  }

  // start runs a new process in the running container. The caller holds the
  // container's queue.
  // span times its steps for the phase trace.
  async start(processId: string, options: ProcessOptions, span: Span = NO_SPAN): Promise<ManagedProcess> {
    const c = this.container;
    c.init.state.require("exec in", "running");
    const existing = this.procs.get(processId);
    if (existing !== undefined && !existing.state.is("stopped")) {
      throw alreadyExists(`process ${quote(processId)} already exists in container ${c.id}: pick another process id`);
    }
    const ociProcess = buildExecProcess(options, c.spec);
    span.step("spec build");
    // A start-process, once published, cannot be taken back: so the journal
    // must prove it can write before the process runs. One that cannot (a
    // full disk) fails the call here, with nothing started.
    await c.ctx.durable();
    span.step("journal flush");
    const paths = new ExecPaths(c.paths.execDir(processId));
    await rm(paths.dir, { recursive: true, force: true });
    await Promise.all([mkdir(paths.exitDir, { recursive: true }), mkdir(paths.persist, { recursive: true })]);
    span.step("state folder");
    await writeFile(paths.spec, JSON.stringify(ociProcess));
    span.step("spec write");
    const proc = new ManagedProcess(processId, ociProcess.args ?? [], ociProcess.terminal === true, "process");
    proc.stdin = options.stdin === true;
    const started = await startConmon({
      binary: c.ctx.conmonPath,
      runtime: c.ctx.runc.binary,
      runtimeRoot: c.ctx.runc.root,
      containerId: c.id,
      uuid: `${c.id}.${processId}`,
      bundle: paths.dir,
      pidFile: paths.pidFile,
      exitDir: paths.exitDir,
      persistDir: paths.persist,
      logPath: paths.log,
      logSizeMax: c.ctx.logSizeMax,
      terminal: proc.terminal,
      stdin: proc.stdin,
      execProcessSpec: paths.spec,
      conmonPidFile: paths.conmonPidFile,
      span,
    });
    const [identity, monitor] = await Promise.all([identify(started.pid), started.monitorPid === undefined ? undefined : identify(started.monitorPid)]);
    span.step("identity probes");
    proc.start({ pid: started.pid, identity, monitor });
    this.procs.set(processId, proc);
    this.prune();
    c.emit(EventType.START_PROCESS, { processId, pid: started.pid });
    failpoint("exec:after-event");
    span.step("start event");
    // From here the process exists, whatever fails next; the caller hears
    // of it once a crash cannot lose it, unless the disk stalls for long.
    await savePublished(c, `process ${processId} runs`, PUBLISHED_SAVE_WAIT_MS);
    span.step("record write (started)");
    // conmon reports the exit on the sync pipe. If the pipe breaks instead,
    // the monitor is gone, which supervise deals with. Both are heard only
    // from a turn after this returns, so the caller sees the process it
    // started (with its pid) even if it has already ended.
    started.exitCode!.then((code) => setImmediate(() => this.onExit(proc, code)), () => {});
    this.supervise(proc);
    return proc;
  }

  // supervise watches a running process's monitor (see superviseMonitor).
  supervise(proc: ManagedProcess): void {
    const c = this.container;
    superviseMonitor(
      c.ctx.liveness,
      {
        what: `process ${proc.id} of container ${c.namespace}/${c.id}`,
        monitor: proc.monitor,
        process: proc.identity,
        exitFile: () => this.readExitFile(proc.id),
        exited: () => proc.exit !== undefined || c.removed,
        onExit: (code, monitorDied) => this.onExit(proc, code, monitorDied),
      },
      c.ctx.reportError,
    );
  }

  // readExitFile reads the exit code the process's monitor wrote, if any.
  readExitFile(processId: string): Promise<number | undefined> {
    return readExitFile(join(new ExecPaths(this.container.paths.execDir(processId)).exitDir, this.container.id));
  }

  onExit(proc: ManagedProcess, exitCode: number, monitorDied = false): void {
    if (this.container.ctx.closed) return;
    if (!proc.markExited({ exitCode, exitedAt: new Date(), oomKilled: false, monitorDied })) return;
    const c = this.container;
    c.emit(EventType.EXIT_PROCESS, { processId: proc.id, pid: proc.pid, exitCode, monitorDied });
    void savePublished(c, `process ${proc.id} exited`, 0);
  }

  // signal sends sig to an exec'd process; one found gone has its exit
  // reconciled from its exit file rather than the call failing blindly.
  async signal(processId: string, sig: number): Promise<void> {
    const p = this.get(processId);
    p.state.require("signal", "running", "paused");
    if (await signalProcess(p.pid, p.identity, sig)) return;
    const code = await this.readExitFile(p.id);
    if (code !== undefined) this.onExit(p, code);
    throw failedPrecondition(`cannot signal process ${processId}: it has already exited${code === undefined ? "" : ` with exit code ${code}`}`);
  }

  // reconcileAll records the exits of processes whose monitors wrote an
  // exit file that has not been heard of yet.
  async reconcileAll(): Promise<void> {
    for (const p of this.all().filter((x) => x.state.is("running", "paused"))) {
      const code = await this.readExitFile(p.id);
      if (code !== undefined) this.onExit(p, code);
    }
  }

  // waitAllExited waits, at most graceMs, for every running exec to exit.
  async waitAllExited(graceMs: number): Promise<void> {
    const running = this.all().filter((p) => p.state.is("running", "paused"));
    if (running.length === 0) return;
    await settlesWithin(Promise.all(running.map((p) => p.exited())), graceMs);
  }

  private prune(): void {
    const ended = this.all().filter((p) => p.state.is("stopped"));
    for (let i = 0; i < ended.length - MAX_ENDED_EXECS; i++) {
      this.procs.delete(ended[i]!.id);
      void rm(this.container.paths.execDir(ended[i]!.id), { recursive: true, force: true });
    }
  }
}
