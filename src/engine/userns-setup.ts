// The steps of a Create that put a container in a user namespace of its
// own (see userns-blocks.ts for where its ids come from): the root
// filesystem's owners shifted to the mapped ids, the root bound where the
// mapped root can reach it, the spec given the namespace, and the files
// berth binds into the container (hosts, resolv.conf, hostname) owned by
// the container's root, as CRI-O chowns them.
import { chown, readdir } from "node:fs/promises";
import { join } from "node:path";

import { toHostId } from "../api/id-mapping.js";
import { exposeRootForUserns } from "../rootfs/userns-root.js";
import type { OciSpec } from "../spec/oci-spec.js";
import { applyUserNamespace } from "../spec/userns-spec.js";
import { shiftOwnership } from "../userns/shift-ownership.js";
import type { UsernsRecord } from "./container-record.js";

// prepareUsernsRoot shifts the overlay at rootfs and returns the path the
// spec's root.path must name.
export async function prepareUsernsRoot(dir: string, rootfs: string, userns: UsernsRecord): Promise<string> {
  await shiftOwnership(rootfs, userns);
  return exposeRootForUserns(dir, rootfs, rootIds(userns).gid);
}

// fitSpecToUserns gives the spec, its network applied, the namespace.
export async function fitSpecToUserns(spec: OciSpec, dir: string, userns: UsernsRecord): Promise<void> {
  applyUserNamespace(spec, userns);
  const root = rootIds(userns);
  const etc = join(dir, "etc");
  for (const name of await readdir(etc).catch(() => [] as string[])) await chown(join(etc, name), root.uid, root.gid);
}

// rootIds are the host ids of the container's root (checked to be mapped).
function rootIds(userns: UsernsRecord): { uid: number; gid: number } {
  return { uid: toHostId(userns.uid, 0) ?? 0, gid: toHostId(userns.gid, 0) ?? 0 };
}
