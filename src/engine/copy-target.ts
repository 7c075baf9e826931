// copyTargetOf says where a copy into or out of a container goes (see
// src/copy): a running or paused container's own root, /proc/<pid>/root,
// in its mount namespace, volumes and all; a created or stopped one's
// overlay, the writable layer its next run starts on. The caller holds the
// container's queue, so the run cannot change while the root is opened.
import { join, posix } from "node:path";

import type { CopyMount, CopyTarget } from "../api/copy-target.js";
import { failedPrecondition } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { isMountPoint } from "../rootfs/overlay.js";
import { isBindMount } from "../spec/mount-rules.js";
import type { OciSpec } from "../spec/oci-spec.js";
import type { ManagedContainer } from "./managed-container.js";
import { probe } from "./process-identity.js";

export async function copyTargetOf(c: ManagedContainer): Promise<CopyTarget> {
  const userns = c.createdWith.userns;
  const base = {
    containerId: c.id,
    readOnlyRoot: c.spec.root.readonly === true,
    mounts: copyMountsOf(c.spec, c.paths.bundle),
    ...(userns !== undefined && { idMappings: { uid: userns.uid, gid: userns.gid } }),
  };
  const s = c.state;
  if (s.name === "running" || s.name === "paused") {
    const identity = c.init.identity;
    const pid = c.init.pid;
    return {
      ...base,
      rootPath: `/proc/${pid}/root`,
      live: true,
      stillOwned: async () => identity === undefined || (await probe(identity)).state === "alive",
    };
  }
  if (s.name !== "created" && s.name !== "stopped") throw failedPrecondition(`cannot copy files of a ${s.name} container`);
  const rootPath = join(c.paths.bundle, "rootfs");
  // Unmounted (the host restarted since): a copy into the folder beneath
  // would be hidden by the overlay once it is mounted again.
  if (!(await isMountPoint(rootPath))) {
    throw failedPrecondition(`the root filesystem of container ${quote(c.id)} is not mounted (was the host restarted?): delete the container and create it again`);
  }
  return { ...base, rootPath, live: false, stillOwned: async () => true };
}

// copyMountsOf lists the spec's mounts as a copy needs them.
function copyMountsOf(spec: OciSpec, bundle: string): CopyMount[] {
  return (spec.mounts ?? []).map((m) => {
    const bind = isBindMount(m);
    const source = m.source === undefined ? undefined : posix.isAbsolute(m.source) ? m.source : join(bundle, m.source);
    return {
      destination: posix.normalize(m.destination).replace(/(.)\/+$/, "$1"),
      source: bind ? source : undefined,
      type: bind ? "bind" : (m.type ?? "unknown"),
      readOnly: (m.options ?? []).includes("ro"),
    };
  });
}
