// Restore reconciles what the state directory remembers with what the
// runtime says, when a namespace is opened (daemon start) and on the Restore
// RPC. A container still running is adopted again (restore event); one that
// exited while nobody watched reports its real exit code once (exit event);
// a Create that never finished is undone.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

import { isBerthError } from "../errors/berth-error.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { releaseContainerRootfs } from "../rootfs/overlay.js";
import type { OciSpec } from "../spec/oci-spec.js";
import { exitFromRecord, readRecord, type ProcessRecord } from "./container-record.js";
import type { Engine, Namespace } from "./engine.js";
import { ExitWatcher, readExitFile } from "./exit-watcher.js";
import { ContainerPaths, ExecPaths } from "./layout.js";
import { ManagedContainer } from "./managed-container.js";
import { ManagedProcess } from "./managed-process.js";

// When neither the exit file nor the record holds an exit code, the monitor
// itself died; this is reported, with the reason, rather than hanging.
const UNKNOWN_EXIT = 255;

export async function restoreNamespace(engine: Engine, ns: Namespace): Promise<void> {
  const ids = await readdir(engine.layout.namespaceDir(ns.ctx.namespace)).catch(() => [] as string[]);
  for (const id of ids) {
    await restoreContainer(engine, ns, id).catch(engine.reportError);
  }
}

export async function restoreContainer(engine: Engine, ns: Namespace, id: string): Promise<ManagedContainer | undefined> {
  const paths = new ContainerPaths(engine.layout.containerDir(ns.ctx.namespace, id));
  const record = await readRecord(paths.record).catch(() => undefined);
  const spec = await readFile(paths.config, "utf8").then((t) => JSON.parse(t) as OciSpec, () => undefined);
  if (record === undefined || spec === undefined || record.init.pid === 0) {
    await undoHalfCreate(ns, id, paths);
    return undefined;
  }
  const live = await ns.ctx.runc.state(id).then(
    (s) => (s.status === "stopped" ? undefined : s),
    (err: unknown) => {
      if (isBerthError(err, "not_found")) return undefined;
      throw err;
    },
  );
  const init = processFromRecord(record.init, "container");
  const c = new ManagedContainer(ns.ctx, id, paths.dir, init, spec, record.labels, new Date(record.createdAt), record.rootfsMounted);
  c.markStartPublished();
  ns.containers.set(id, c);
  for (const r of record.execs) await restoreExec(c, r);
  if (init.exit === undefined) {
    if (live !== undefined) {
      if (live.status === "paused" || live.status === "pausing") init.state.transition("paused");
      ns.ctx.publish(id, EventType.RESTORE, { processId: "init", pid: init.pid });
    } else {
      const code = (await readExitFile(join(ns.ctx.exitDir, id))) ?? (await readExitFile(join(paths.persist, "exit")));
      if (code === undefined) engine.reportError(new Error(`container ${ns.ctx.namespace}/${id}: its monitor died without recording an exit code; reporting ${UNKNOWN_EXIT}`));
      await c.onInitExit(code ?? UNKNOWN_EXIT);
    }
  }
  await c.record.save();
  return c;
}

function processFromRecord(r: ProcessRecord, kind: "container" | "process"): ManagedProcess {
  const exit = exitFromRecord(r.exit);
  const p = new ManagedProcess(r.id, r.args, r.terminal, kind, exit ? "stopped" : "running");
  p.pid = r.pid;
  p.stdin = r.stdin === true;
  p.startedAt = r.startedAt ? new Date(r.startedAt) : undefined;
  p.exit = exit;
  return p;
}

// restoreExec adopts one exec'd process: its exit is read from the file its
// monitor wrote, or watched for if it still runs.
async function restoreExec(c: ManagedContainer, r: ProcessRecord): Promise<void> {
  const p = processFromRecord(r, "process");
  c.execs.adopt(p);
  if (p.exit !== undefined) return;
  const paths = new ExecPaths(c.paths.execDir(r.id));
  const code = await readExitFile(join(paths.exitDir, c.id));
  if (code !== undefined) return c.execs.onExit(p, code);
  if (!isAlive(p.pid)) return c.execs.onExit(p, UNKNOWN_EXIT);
  const watcher = new ExitWatcher(paths.exitDir, (_id, exitCode) => {
    watcher.close();
    c.execs.onExit(p, exitCode);
  }, c.ctx.reportError);
  await watcher.start();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// undoHalfCreate removes what a Create that crashed left: its runtime state
// (killing a process it may have started), its mount and its folder.
async function undoHalfCreate(ns: Namespace, id: string, paths: ContainerPaths): Promise<void> {
  await ns.ctx.runc.delete(id, true).catch(() => {});
  await releaseContainerRootfs(paths.dir);
  await rm(paths.dir, { recursive: true, force: true });
  await rm(join(ns.ctx.exitDir, id), { force: true });
}
