// applyNetworkToSpec points a spec's network namespace where the
// container's network mode says (a bound namespace's path, the host's, or
// one runc makes) and binds its hosts, resolv.conf and hostname files,
// unless the spec binds its own there.
import type { OciMount, OciSpec } from "./oci-spec.js";

export interface NetworkPlacement {
  netnsPath?: string | undefined;
  host: boolean;
  mounts: OciMount[];
}

export function applyNetworkToSpec(spec: OciSpec, p: NetworkPlacement): void {
  const linux = (spec.linux ??= {});
  const namespaces = linux.namespaces ?? [];
  if (p.host) {
    linux.namespaces = namespaces.filter((n) => n.type !== "network");
  } else if (p.netnsPath !== undefined) {
    linux.namespaces = [...namespaces.filter((n) => n.type !== "network"), { type: "network", path: p.netnsPath }];
  }
  const taken = new Set((spec.mounts ?? []).map((m) => m.destination));
  const added = p.mounts.filter((m) => !taken.has(m.destination));
  if (added.length > 0) spec.mounts = [...(spec.mounts ?? []), ...added];
}
