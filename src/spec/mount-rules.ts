// Rules a mount must follow before runc sees it, as runc 1.1 enforces them
// (libcontainer/rootfs_linux.go, checkProcMount) or as a container needs
// them: so a bad mount is the client's INVALID_ARGUMENT naming the mount,
// not runc's stderr.
import { posix } from "node:path";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { OciMount } from "./oci-spec.js";

// The files under /proc that runc lets a bind mount cover: the ones lxcfs
// emulates.
const PROC_FILES_ALLOWED = new Set([
  "/proc/cpuinfo",
  "/proc/diskstats",
  "/proc/meminfo",
  "/proc/stat",
  "/proc/swaps",
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/slabinfo",
  "/proc/net/dev",
  "/proc/sys/kernel/ns_last_pid",
]);

// isBindMount says whether runc treats the mount as a bind of a host path.
export function isBindMount(mount: Pick<OciMount, "type" | "options">): boolean {
  return mount.type === "bind" || (mount.options ?? []).some((o) => o === "bind" || o === "rbind");
}

// normalizeDestination returns the destination as runc resolves it
// ("/data/" and "/data/." are "/data"), or throws unless it is absolute.
export function normalizeDestination(field: string, destination: string | undefined): string {
  const normalized = posix.normalize(destination || ".").replace(/(.)\/+$/, "$1");
  if (!posix.isAbsolute(normalized) || normalized === "/") {
    throw invalidArgument(`${field} ${quote(destination)} must be an absolute path inside the container, other than "/"`);
  }
  return normalized;
}

// Kernel filesystems runc mounts without the /proc check.
const OWN_FILESYSTEMS = new Set(["proc", "sysfs", "tmpfs", "mqueue", "cgroup"]);

// checkMountPlacement throws unless the mount may sit at its destination:
// nothing but procfs on /proc, nothing inside /proc but the files lxcfs
// covers, and no bind in place of /sys (the host's sysfs in a container).
export function checkMountPlacement(field: string, mount: OciMount): void {
  const destination = normalizeDestination(`${field}.destination`, mount.destination);
  if (!isBindMount(mount) && OWN_FILESYSTEMS.has(mount.type ?? "")) return;
  if (destination === "/proc") {
    throw invalidArgument(`${field} covers /proc with a ${mount.type || "bind"} mount: only procfs may be mounted there; pick another destination`);
  }
  if (destination.startsWith("/proc/") && !PROC_FILES_ALLOWED.has(destination)) {
    throw invalidArgument(
      `${field} destination ${quote(destination)} is inside /proc, where runc allows only ${[...PROC_FILES_ALLOWED].join(", ")}: pick a destination outside /proc`,
    );
  }
  if (destination === "/sys" && isBindMount(mount)) {
    throw invalidArgument(`${field} replaces /sys with a bind mount: pick another destination (the container's /sys is its own sysfs)`);
  }
}
