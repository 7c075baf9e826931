// Removing a container's files, for Delete and for the containers restore
// finds half-made or half-deleted. The order is what makes it crash-safe:
// the runtime's run first, then the mount and files, then the delete event,
// and the record last.
import { readdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";

import { BerthError } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { failpoint } from "../faults/failpoint.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { mountsAtOrBelow, releaseContainerRootfs } from "../rootfs/overlay.js";
import type { OciSpec } from "../spec/oci-spec.js";
import { NO_SPAN, type Span } from "../trace/span.js";
import type { Namespace } from "./engine.js";
import { stopRun } from "./launch-init.js";
import type { ContainerPaths } from "./layout.js";
import type { ManagedContainer } from "./managed-container.js";
import type { ExitInfo } from "./managed-process.js";

// DeleteEvent is what a DELETE event carries: the container's last run's
// exit, as Delete returns it (see Event in proto/berth/v1/types.proto).
export interface DeleteEvent {
  exitCode: number;
  oomKilled: boolean;
  monitorDied: boolean;
}

// NO_EXIT is the delete of a container with no recorded exit: a Create
// undone before its process ran, or a folder restore could not adopt.
export const NO_EXIT: DeleteEvent = { exitCode: 0, oomKilled: false, monitorDied: false };

// deleteEventOf is the delete event of a container whose last run ended
// with exit.
export function deleteEventOf(exit: ExitInfo): DeleteEvent {
  return { exitCode: exit.exitCode, oomKilled: exit.oomKilled, monitorDied: exit.monitorDied === true };
}

// removeContainer removes a container that never was (a failed Create),
// publishing the delete its published create is owed, if any.
export async function removeContainer(ns: Namespace, c: ManagedContainer, deleteEvent?: DeleteEvent): Promise<void> {
  await discardContainer(ns, c.id, c.paths, c.spec, deleteEvent);
}

export interface DiscardOptions {
  // beforeEvent runs once the files are gone, before the delete event.
  beforeEvent?: () => Promise<void>;
  // durableWaitMs is how long the call waits for the delete event to be
  // durable (retrying a journal that cannot write) before it returns and
  // leaves the waiting to the background (default 0: one try).
  durableWaitMs?: number;
  // span times the steps for the phase trace.
  span?: Span;
}

// discardContainer removes a container that is no more: it ends any run the
// runtime still holds and waits for its monitor, unmounts the root
// filesystem, removes the files and the cgroup parents that became empty,
// then publishes the delete event if one is owed (after beforeEvent), and
// removes the record last, once that event is durable. A crash at any point
// leaves the record, and restore, reading the journal, finishes the job
// without publishing the delete twice.
//
// Once the delete event is published the container is gone, whatever the
// journal does: the event is delivered as soon as the journal writes it. A
// journal that cannot write (a full disk) within durableWaitMs leaves the
// record in place and the id in ns.removing until it can; the call returns
// meanwhile, without an error.
export async function discardContainer(
  ns: Namespace,
  id: string,
  paths: ContainerPaths,
  spec: OciSpec | undefined,
  deleteEvent: DeleteEvent | undefined,
  options: DiscardOptions = {},
): Promise<void> {
  const span = options.span ?? NO_SPAN;
  await stopRun(ns.ctx.runc, id, paths, ns.ctx.exitDir, span);
  // Its address, ports and namespace, before its files go (the namespace
  // is a mount in the folder).
  await ns.ctx.networks.release(paths.dir);
  failpoint("delete:after-network");
  span.step("network release");
  await releaseContainerRootfs(paths.dir);
  span.step("overlay unmount");
  await ns.ctx.releaseImage(id);
  failpoint("delete:after-unmount");
  span.step("image release");
  const names = await readdir(paths.dir).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name !== "record.json").map((name) => rm(join(paths.dir, name), { recursive: true, force: true })));
  span.step("file removal");
  await removeEmptyCgroupParents(cgroupParentOf(spec) ?? ns.cgroupParent);
  span.step("cgroup parents");
  await options.beforeEvent?.();
  span.step("record retire");
  if (deleteEvent !== undefined) {
    ns.ctx.publish(id, EventType.DELETE, { processId: INIT_PROCESS_ID, ...deleteEvent });
    span.step("delete event");
    const durable = await durableWithin(ns, id, options.durableWaitMs ?? 0);
    span.step("journal flush");
    if (!durable) {
      finishWhenDurable(ns, id, paths);
      return;
    }
  }
  failpoint("delete:after-event");
  await rm(paths.dir, { recursive: true, force: true });
  await ns.ctx.releaseUserns(id);
  span.step("folder removal");
}

// durableWithin waits for the journal to make every published event
// durable, trying again with a growing pause until waitMs has passed; it
// says whether it got there. The first failure is reported.
async function durableWithin(ns: Namespace, id: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 1000)) {
    try {
      await ns.ctx.durable();
      return true;
    } catch (err) {
      if (delayMs === 50) {
        ns.ctx.reportError(new BerthError("internal", `container ${ns.ctx.namespace}/${id} is deleted, but its delete event cannot be written yet (will retry): ${(err as Error).message}`, { cause: err }));
      }
    }
    if (ns.ctx.closed || Date.now() + delayMs > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
  }
}

// finishWhenDurable removes the record of a container whose delete event
// waits for the journal, once the journal has written it. The id stays in
// ns.removing until then, so a Create of that id cannot remove the record a
// crash would need to publish the delete again. A daemon that stops first
// leaves the record to restore.
function finishWhenDurable(ns: Namespace, id: string, paths: ContainerPaths): void {
  const finishing = (async () => {
    for (let delayMs = 100; !ns.ctx.closed; delayMs = Math.min(delayMs * 2, 1000)) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (!(await ns.ctx.durable().then(() => true, () => false))) continue;
      // A recursive rm never runs through a mount.
      if ((await mountsAtOrBelow(paths.dir)).length === 0) {
        await rm(paths.dir, { recursive: true, force: true });
        await ns.ctx.releaseUserns(id);
      }
      return;
    }
  })()
    .catch(ns.ctx.reportError)
    .finally(() => {
      if (ns.removing.get(id) === finishing) ns.removing.delete(id);
    });
  ns.removing.set(id, finishing);
}

function cgroupParentOf(spec: OciSpec | undefined): string | undefined {
  const path = spec?.linux?.cgroupsPath;
  if (path === undefined || !path.startsWith("/")) return undefined;
  return path.slice(0, path.lastIndexOf("/"));
}

// runc removes a container's own cgroup but not the parents it created;
// remove those that are empty now. A parent still in use is left alone
// (rmdir fails on a non-empty cgroup).
async function removeEmptyCgroupParents(parent: string | undefined): Promise<void> {
  if (parent === undefined || parent === "") return;
  const roots = await readdir("/sys/fs/cgroup").catch(() => [] as string[]);
  const dirs = roots.map((r) => join("/sys/fs/cgroup", r));
  dirs.push("/sys/fs/cgroup");
  for (let p = parent; p !== "" && p !== "/"; p = p.slice(0, p.lastIndexOf("/"))) {
    await Promise.all(dirs.map((d) => rmdir(join(d, p)).catch(() => {})));
  }
}
