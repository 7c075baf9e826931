// The steps of a Create that put a container in a user namespace of its
// own (see userns-blocks.ts for where its ids come from): the root
// filesystem's owners shifted to the mapped ids, the root bound where the
// mapped root can reach it, the spec given the namespace, and the files
// berth binds into the container (hosts, resolv.conf, hostname) owned by
// the container's root, as CRI-O chowns them.
import { chown, readdir } from "node:fs/promises";
import { join } from "node:path";

import { toHostId } from "../api/id-mapping.js";
import { invalidArgument } from "../errors/berth-error.js";
import { exposeRootForUserns } from "../rootfs/userns-root.js";
import type { OciSpec } from "../spec/oci-spec.js";
import { applyUserNamespace } from "../spec/userns-spec.js";
import { shiftOwnership } from "../userns/shift-ownership.js";
import type { UsernsRecord } from "./container-record.js";

// checkUsernsNetwork refuses a user namespace of its own on a bridge
// network. The daemon makes a bridge container's network namespace (and
// its CNI ADD) before runc, so it belongs to the host's user namespace;
// runc 1.1.5 then starts the container, but every exec fails: it joins the
// container's user namespace first and may no longer enter a network
// namespace the host's owns ("error executing setns process"). Podman
// lets the runtime make the namespace inside the new user namespace and
// wires it after `runc create`; CRI-O pins both together (pinns -U). Until
// berth does one of those, such a container runs with network none or host.
export function checkUsernsNetwork(userns: string, network: string): void {
  if (userns === "host" || network !== "bridge") return;
  throw invalidArgument(
    "security.userns needs network none or host in this version (a bridge network's namespace belongs to the host's user namespace, and runc 1.1.5 cannot exec into such a container): give network \"none\" or \"host\", or leave userns unset",
  );
}

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
