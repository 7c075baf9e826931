// Restore reconciles what the state directory remembers with what the
// runtime says, when a namespace is opened (daemon start) and on the Restore
// RPC. The record is first brought up to date with the journal (see
// restore-journal.ts); then a container still running is adopted again
// (restore event), one that exited while nobody watched reports its real
// exit code once (exit event, after its exec'd processes' exits), a Create
// that never published start-container is undone, a Delete cut short is
// finished, and a restart the policy had decided is carried out.
import { lstat, readdir, readFile, readlink, rm } from "node:fs/promises";
import { join } from "node:path";

import { BerthError, failedPrecondition, isBerthError } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { quote } from "../errors/quote.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { hasErrnoCode } from "../rootfs/path-exists.js";
import { readNetworkState } from "../network/network-state.js";
import { readPidFile } from "../runtime/conmon.js";
import type { OciSpec } from "../spec/oci-spec.js";
import { removeStaleTemps } from "./atomic-file.js";
import { exitFromRecord, readRecord, type ContainerRecord, type ProcessRecord } from "./container-record.js";
import { deleteEventOf, discardContainer, NO_EXIT, type DeleteEvent } from "./discard-container.js";
import type { Engine, Namespace } from "./engine.js";
import { readInitExitFile, superviseInit } from "./init-exit.js";
import { disconnectRun } from "./container-network.js";
import { goneWithin, monitorOf, stopRun } from "./launch-init.js";
import { ContainerPaths, ExecPaths } from "./layout.js";
import { ManagedContainer } from "./managed-container.js";
import { ManagedProcess, type ProcessRun, type ProcessStatus } from "./managed-process.js";
import { identify } from "./process-identity.js";
import { applyJournal, unansweredCreate, type ExecOrigin } from "./restore-journal.js";
import { RestartManager } from "./restart-manager.js";
import { savePublished } from "./save-published.js";

export async function restoreNamespace(engine: Engine, ns: Namespace): Promise<void> {
  const ids = await readdir(engine.layout.namespaceDir(ns.ctx.namespace)).catch(() => [] as string[]);
  for (const id of ids) {
    await restoreContainer(engine, ns, id).catch((err: unknown) => {
      engine.reportError(new BerthError("internal", `restore: cannot restore container ${ns.ctx.namespace}/${id}, leaving its folder for the next try: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
    });
  }
  // Exit files of containers that are no more (removed while their monitor
  // still wrote) would only confuse the watcher.
  for (const name of await readdir(ns.ctx.exitDir).catch(() => [] as string[])) {
    if (!ns.containers.has(name)) await rm(join(ns.ctx.exitDir, name), { force: true, recursive: true });
  }
}

// restoreContainer reconciles one container folder. It holds the id as
// being created meanwhile, so a Create of that id waits its turn.
export async function restoreContainer(engine: Engine, ns: Namespace, id: string): Promise<ManagedContainer | undefined> {
  if (ns.creating.has(id) || ns.removing.has(id)) throw failedPrecondition(`cannot restore container ${quote(id)}: it is being created or deleted`);
  ns.creating.add(id);
  try {
    return await reconcileFolder(engine, ns, id);
  } finally {
    ns.creating.delete(id);
  }
}

async function reconcileFolder(engine: Engine, ns: Namespace, id: string): Promise<ManagedContainer | undefined> {
  const paths = new ContainerPaths(engine.layout.containerDir(ns.ctx.namespace, id));
  const name = `${ns.ctx.namespace}/${id}`;
  // Every folder restore cannot adopt is removed, and the log says which and why.
  const removing = (why: string) => engine.reportError(new Error(`restore: removing container ${name}: ${why}`));
  const kind = await lstat(paths.dir).then(
    (info) => (info.isDirectory() ? "folder" : "other"),
    () => "none",
  );
  // The Restore RPC may name an id that has no folder at all.
  if (kind === "none") return undefined;
  if (kind === "other") {
    removing("it is not a folder");
    await rm(paths.dir, { recursive: true, force: true });
    return undefined;
  }
  // A daemon killed inside an atomic write leaves its temp file behind.
  await removeStaleTemps(paths.dir);
  await removeStaleTemps(paths.bundle);
  const read = await readRecord(paths.record).then(
    (record) => ({ record, problem: undefined }),
    (err: unknown) => ({ record: undefined, problem: (err as Error).message }),
  );
  const { spec, problem: specProblem } = await readSpec(paths.config);
  if (read.problem !== undefined) {
    // Nothing says which events this container's are; its id's history
    // does: a create not answered by a delete is owed one.
    const owed = await unansweredCreate(ns.ctx.history(id, 0n));
    removing(`its record cannot be read (${read.problem})`);
    await discardContainer(ns, id, paths, spec, owed);
    return undefined;
  }
  const record = read.record;
  if (record === undefined) {
    // The record is saved before anything is started or published, and
    // removed last: without it there are only files to clear.
    removing("it has no record (a Create cut short before saving one, or a Delete about to finish)");
    await discardContainer(ns, id, paths, spec, undefined);
    return undefined;
  }
  const facts = await applyJournal(record, ns.ctx.history(id, BigInt(record.sequence ?? "0")), (processId) => execOrigin(paths, processId));
  if (facts.deleted || record.phase !== undefined || spec === undefined) {
    if (spec === undefined && record.phase === undefined) removing(`its bundle's config.json ${specProblem}`);
    else if (record.phase === "creating" && !facts.deleted) removing(`its Create was cut short before start-container${facts.created ? " (its create event is answered with a delete)" : ""}`);
    // Deleting: finish the job. Creating: the start was never published, so
    // the container never was; only a published create is owed its delete
    // (a Create undone before its create event, cut short after its files
    // went, leaves a record and no config.json, and no delete is owed).
    // Neither: the container was started, so its create is out.
    const owed = !facts.deleted && (record.phase === "deleting" || facts.created || (record.phase === undefined && spec === undefined));
    await discardContainer(ns, id, paths, spec, owed ? owedDelete(record) : undefined);
    return undefined;
  }
  return adopt(ns, id, paths, record, spec);
}

// owedDelete is the delete event restore publishes for a container it
// removes: the last run's exit as the record (brought up to date with the
// journal) has it, with its oomKilled and monitorDied, as Delete would
// have published it.
function owedDelete(record: ContainerRecord): DeleteEvent {
  const exit = exitFromRecord(record.init.exit);
  return record.phase === "creating" || exit === undefined ? NO_EXIT : deleteEventOf(exit);
}

// readSpec reads a bundle's config.json, or says what is wrong with it.
async function readSpec(path: string): Promise<{ spec: OciSpec | undefined; problem: string | undefined }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    return { spec: undefined, problem: hasErrnoCode(err, "ENOENT") ? "is missing" : `cannot be read (${(err as Error).message})` };
  }
  try {
    const spec: unknown = JSON.parse(text);
    if (typeof spec === "object" && spec !== null && !Array.isArray(spec)) return { spec: spec as OciSpec, problem: undefined };
    return { spec: undefined, problem: "is not a JSON object" };
  } catch (err) {
    return { spec: undefined, problem: `is not valid JSON (${(err as Error).message})` };
  }
}

// adopt builds the container from its record and reconciles each process
// with what is running.
async function adopt(ns: Namespace, id: string, paths: ContainerPaths, record: ContainerRecord, spec: OciSpec): Promise<ManagedContainer> {
  const init = processFromRecord(record.init, "container");
  const c = new ManagedContainer(ns.ctx, id, paths.dir, init, spec, record.labels, new Date(record.createdAt), record.rootfsMounted);
  c.sequence = BigInt(record.sequence ?? "0");
  c.revision = BigInt(record.revision ?? "0");
  c.stopSignal = record.stopSignal ?? c.stopSignal;
  c.createdWith = record.createdWith ?? {};
  c.nextRunStdin = record.nextRunStdin;
  c.poststop.ranFor = record.poststopRanFor;
  if (record.restart !== undefined) c.restarts = new RestartManager(record.restart);
  c.network = await readNetworkState(paths.dir);
  // A run that still holds its address keeps it; whether it still runs is
  // learned below, and an exit found there gives the address back.
  if (c.network !== undefined) ns.ctx.networks.adopt(c.network);
  c.markStartPublished();
  ns.containers.set(id, c);
  // Exec'd processes first: the init exit is published after theirs. All
  // are in place before any is reconciled: a reconciled exit saves the
  // record, and a record saved from a half-built container would forget
  // the processes not yet in it (and restore would then end them).
  const execs = record.execs.map((r) => processFromRecord(r, "process"));
  for (const p of execs) c.execs.adopt(p);
  for (const p of execs) await restoreExec(c, p);
  await removeUnrecordedExecs(c);
  if (init.state.is("created")) {
    // Never started: a run the runtime holds is a Start a crash cut short
    // before its start-container was published, so it never was.
    await stopRun(ns.ctx.runc, id, paths, ns.ctx.exitDir);
    await disconnectRun(c);
  } else if (init.exit === undefined) {
    await restoreInit(c);
  } else {
    // The last run is over; a run the runtime still holds is a restart that
    // a crash cut short.
    await stopRun(ns.ctx.runc, id, paths, ns.ctx.exitDir);
    // It died while no daemon watched: its address and ports go back.
    await disconnectRun(c);
    const ranMs = init.exit.exitedAt.getTime() - (init.startedAt?.getTime() ?? init.exit.exitedAt.getTime());
    if (c.restarts.pending || c.restarts.decide(init.exit.exitCode, ranMs, true) !== undefined) c.scheduleRestart();
  }
  // A run that ended while no daemon ran (or whose hooks a crash cut
  // short) is owed its poststop hooks; they run behind the restore.
  void c.poststop.settle();
  // The container is adopted whether or not its record can be saved now: a
  // record that lags is brought up to date from the journal next time.
  await savePublished(c, "it is restored", 0);
  return c;
}

// restoreInit adopts a running init process, or reports the exit it made
// while nobody watched.
async function restoreInit(c: ManagedContainer): Promise<void> {
  const init = c.init;
  const live = await c.ctx.runc.state(c.id).then(
    (s) => (s.status === "stopped" ? undefined : s),
    (err: unknown) => {
      if (isBerthError(err, "not_found")) return undefined;
      throw err;
    },
  );
  init.identified(undefined, await monitorOf(c.paths.conmonPidFile, c.id));
  if (live !== undefined) {
    init.identified(await identify(init.pid), undefined);
    if (live.status === "paused" || live.status === "pausing") init.pause();
    c.emit(EventType.RESTORE, { processId: INIT_PROCESS_ID, pid: init.pid });
    superviseInit(c);
    return;
  }
  const code = await readInitExitFile(c);
  if (code !== undefined) return c.onInitExit(code);
  // No exit file yet: a monitor still draining output writes one soon; a
  // dead one never will, and superviseInit reports that.
  superviseInit(c);
}

function processFromRecord(r: ProcessRecord, kind: "container" | "process"): ManagedProcess {
  const exit = exitFromRecord(r.exit);
  const run: ProcessRun = {
    pid: r.pid,
    startedAt: r.startedAt ? new Date(r.startedAt) : undefined,
    identity: r.startTime === undefined ? undefined : { pid: r.pid, startTime: r.startTime },
    monitor: r.monitor,
  };
  const status: ProcessStatus = r.created === true ? { name: "created" } : exit !== undefined ? { name: "stopped", run, exit } : { name: "running", run };
  const p = new ManagedProcess(r.id, r.args, r.terminal, kind, status);
  p.stdin = r.stdin === true;
  return p;
}

// restoreExec adopts one exec'd process: its exit is read from the file its
// monitor wrote, or its monitor is watched if it still runs.
async function restoreExec(c: ManagedContainer, p: ManagedProcess): Promise<void> {
  if (p.exit !== undefined) return;
  const code = await c.execs.readExitFile(p.id);
  if (code !== undefined) return c.execs.onExit(p, code);
  p.identified(undefined, await monitorOf(new ExecPaths(c.paths.execDir(p.id)).conmonPidFile, c.id, `${c.id}.${p.id}`));
  if (p.monitor !== undefined) p.identified(await identify(p.pid), undefined);
  c.execs.supervise(p);
}

// removeUnrecordedExecs ends the exec'd processes whose AddProcess a crash
// cut short before start-process was published: the caller never heard of
// them, so they never were.
async function removeUnrecordedExecs(c: ManagedContainer): Promise<void> {
  const root = join(c.paths.dir, "exec");
  const known = new Set(c.execs.all().map((p) => p.id));
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (known.has(name)) continue;
    const paths = new ExecPaths(join(root, name));
    const monitor = await monitorOf(paths.conmonPidFile, c.id, `${c.id}.${name}`);
    // Only a process whose monitor still runs is that exec: a pid file left
    // by an exec long gone may name another process of the container now.
    const pid = monitor === undefined ? undefined : await readPidFile(paths.pidFile).catch(() => undefined);
    if (pid !== undefined && (await inSamePidNamespace(pid, c.init.pid))) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    // Its monitor writes into the folder until it is gone.
    if (monitor !== undefined) await goneWithin(monitor, 2000);
    await rm(paths.dir, { recursive: true, force: true });
  }
}

// inSamePidNamespace tells whether pid is a process of the container whose
// init is initPid, so a stale pid file never gets a stranger killed.
async function inSamePidNamespace(pid: number, initPid: number): Promise<boolean> {
  const [a, b] = await Promise.all([readlink(`/proc/${pid}/ns/pid`).catch(() => ""), readlink(`/proc/${initPid}/ns/pid`).catch(() => "")]);
  return a !== "" && a === b;
}

// execOrigin reads what an exec'd process was started with from its folder.
async function execOrigin(paths: ContainerPaths, processId: string): Promise<ExecOrigin | undefined> {
  const spec = await readFile(new ExecPaths(paths.execDir(processId)).spec, "utf8").then(
    (t) => JSON.parse(t) as { args?: string[]; terminal?: boolean },
    () => undefined,
  );
  return spec && { args: spec.args ?? [], terminal: spec.terminal === true };
}
