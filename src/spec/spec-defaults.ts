import type { OciCapabilities, OciMount, OciNamespace, OciRlimit } from "./oci-spec.js";

// The defaults of a berth container, taken from `runc spec` and containerd's
// oci.WithDefaultSpec (populateDefaultUnixSpec) for Linux, so a container
// behaves as it would under Docker or containerd.

export const OCI_VERSION = "1.0.2";

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const DEFAULT_TERM = "TERM=xterm";
export const DEFAULT_CWD = "/";
// Matches the rootfs's /etc/hostname, so `hostname` and the file agree.
export const DEFAULT_HOSTNAME = "berth";

// Docker's default capability set; everything else (SYS_ADMIN, NET_ADMIN,
// SYS_PTRACE...) must be asked for with a full spec.
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

// No inheritable or ambient set: since CVE-2022-24769 neither Docker nor
// containerd grant them, so exec'd binaries cannot pick capabilities up.
export function defaultCapabilities(): OciCapabilities {
  return {
    bounding: [...DEFAULT_CAPABILITIES],
    effective: [...DEFAULT_CAPABILITIES],
    permitted: [...DEFAULT_CAPABILITIES],
  };
}

export function defaultRlimits(): OciRlimit[] {
  return [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }];
}

// A fresh network namespace holds only loopback, which runc brings up.
export function defaultNamespaces(): OciNamespace[] {
  return [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }];
}

export function defaultMounts(): OciMount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
  ];
}

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];
