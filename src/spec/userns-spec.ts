// applyUserNamespace puts a container in a user namespace of its own on
// mappings, and changes what cannot be made inside one as Podman
// (pkg/specgen/generate/oci_linux.go) and CRI-O do:
//  - sysfs can be mounted only by the owner of the network namespace, and
//    a namespace joined by path or the host's belongs to the host's user
//    namespace (a bridge container with a user namespace gets one runc
//    makes, see NetworkState.postConfigure): the host's /sys is bound
//    read-only instead,
//    and with it goes the cgroup mount (the bind holds the host's
//    /sys/fs/cgroup, which the container can read but not write);
//  - devpts's gid=5 (tty) needs gid 5 mapped.
// Device nodes need nothing here: runc binds them from the host inside a
// user namespace, where mknod is refused.
import { toHostId, type IdMappings } from "../api/id-mapping.js";
import type { OciSpec } from "./oci-spec.js";

export function applyUserNamespace(spec: OciSpec, maps: IdMappings): void {
  const linux = (spec.linux ??= {});
  const namespaces = (linux.namespaces ??= []).filter((n) => n.type !== "user");
  linux.namespaces = [...namespaces, { type: "user" }];
  linux.uidMappings = maps.uid.map((m) => ({ containerID: m.containerId, hostID: m.hostId, size: m.size }));
  linux.gidMappings = maps.gid.map((m) => ({ containerID: m.containerId, hostID: m.hostId, size: m.size }));
  const ownNetwork = namespaces.some((n) => n.type === "network" && (n.path ?? "") === "");
  const mounts = spec.mounts ?? [];
  spec.mounts = mounts
    .filter((m) => ownNetwork || m.type !== "cgroup" || m.destination !== "/sys/fs/cgroup")
    .map((m) => {
      if (!ownNetwork && m.type === "sysfs" && m.destination === "/sys") {
        return { destination: "/sys", type: "bind", source: "/sys", options: ["rprivate", "nosuid", "noexec", "nodev", "ro", "rbind"] };
      }
      if (m.type === "devpts" && toHostId(maps.gid, 5) === undefined) return { ...m, options: (m.options ?? []).filter((o) => o !== "gid=5") };
      return m;
    });
}
