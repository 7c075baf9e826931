// Removing a container's files, for Delete and for the containers restore
// finds half-made or half-deleted. The order is what makes it crash-safe:
// the runtime's run first, then the mount and files, then the delete event,
// and the record last.
import { readdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";

import { INIT_PROCESS_ID } from "../errors/validate.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { releaseContainerRootfs } from "../rootfs/overlay.js";
import type { OciSpec } from "../spec/oci-spec.js";
import type { Namespace } from "./engine.js";
import { failpoint } from "./failpoint.js";
import { stopRun } from "./launch-init.js";
import type { ContainerPaths } from "./layout.js";
import type { ManagedContainer } from "./managed-container.js";

// removeContainer removes a container that never was (a failed Create),
// publishing the delete its published create is owed, if any.
export async function removeContainer(ns: Namespace, c: ManagedContainer, deleteEvent?: { exitCode: number }): Promise<void> {
  await discardContainer(ns, c.id, c.paths, c.spec, deleteEvent);
}

// discardContainer removes a container that is no more: it ends any run the
// runtime still holds and waits for its monitor, unmounts the root
// filesystem, removes the files and the cgroup parents that became empty,
// then publishes the delete event if one is owed (after beforeEvent), and
// removes the record last, once that event is durable. A crash at any point
// leaves the record, and restore, reading the journal, finishes the job
// without publishing the delete twice.
export async function discardContainer(
  ns: Namespace,
  id: string,
  paths: ContainerPaths,
  spec: OciSpec | undefined,
  deleteEvent: { exitCode: number; oomKilled?: boolean; monitorDied?: boolean } | undefined,
  beforeEvent: () => Promise<void> = async () => {},
): Promise<void> {
  await stopRun(ns.ctx.runc, id, paths, ns.ctx.exitDir);
  await releaseContainerRootfs(paths.dir);
  failpoint("delete:after-unmount");
  for (const name of await readdir(paths.dir).catch(() => [] as string[])) {
    if (name !== "record.json") await rm(join(paths.dir, name), { recursive: true, force: true });
  }
  await removeEmptyCgroupParents(cgroupParentOf(spec) ?? ns.cgroupParent);
  await beforeEvent();
  if (deleteEvent !== undefined) {
    ns.ctx.publish(id, EventType.DELETE, { processId: INIT_PROCESS_ID, ...deleteEvent });
    await ns.ctx.durable();
  }
  failpoint("delete:after-event");
  await rm(paths.dir, { recursive: true, force: true });
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
