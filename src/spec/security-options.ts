// checkSecurityOptions reads berth.v1.SecurityOptions into the checked form
// the spec is built from: capability names normalized, a custom seccomp
// profile parsed and checked, devices and tmpfs mounts well formed, the
// user's syntax known. Nothing here touches the host; host-devices.ts and
// container-user.ts resolve what needs it.
import { posix } from "node:path";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkCapabilitiesHeld, normalizeCapabilities } from "./capabilities.js";
import { parseUserRef, type UserRef } from "./container-user.js";
import { checkMountPlacement, normalizeDestination } from "./mount-rules.js";
import type { OciMount, OciSeccomp } from "./oci-spec.js";
import { MOUNTS_MAX_ENTRIES, checkCount, checkPath } from "./request-limits.js";
import { parseSeccompProfile } from "./seccomp-profile.js";
import { checkUsernsOptions, type CheckedUserns, type UsernsFields } from "./userns-options.js";

// SecurityFields mirrors berth.v1.SecurityOptions.
export interface SecurityFields {
  seccomp?: { unconfined?: boolean; profileJson?: Uint8Array } | undefined;
  capAdd?: readonly string[] | undefined;
  capDrop?: readonly string[] | undefined;
  privileged?: boolean | undefined;
  devices?: readonly DeviceFields[] | undefined;
  tmpfs?: readonly { destination?: string; options?: readonly string[] }[] | undefined;
  user?: string | undefined;
  userns?: UsernsFields | undefined;
}

export interface DeviceFields {
  hostPath?: string;
  containerPath?: string;
  permissions?: string;
}

export type SeccompChoice = { kind: "default" } | { kind: "unconfined" } | { kind: "profile"; profile: OciSeccomp };

export interface DeviceRequest {
  hostPath: string;
  containerPath: string;
  permissions: string;
}

export interface CheckedSecurity {
  seccomp: SeccompChoice;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  devices: DeviceRequest[];
  tmpfs: OciMount[];
  user?: UserRef;
  userns: CheckedUserns;
}

export const DEVICES_MAX_ENTRIES = 256;
export const TMPFS_OPTIONS_MAX_ENTRIES = 32;

// Docker's defaults for --tmpfs without options (daemon/oci_linux.go).
export const DEFAULT_TMPFS_OPTIONS: readonly string[] = ["nosuid", "nodev", "noexec"];

// The mount flags runc 1.1.5 parses (`runc features` mountOptions, less the
// bind and propagation ones, which mean nothing for a tmpfs) and tmpfs's
// own key=value options (mm/shmem.c).
const TMPFS_FLAGS = new Set([
  "async", "atime", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime", "loud", "mand", "noatime", "nodev",
  "nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "ratime",
  "relatime", "ro", "rw", "silent", "strictatime", "suid", "symfollow", "sync", "tmpcopyup",
]);
const TMPFS_DATA = /^(size=\d+[kKmMgG%]?|nr_blocks=\d+[kKmMgG]?|nr_inodes=\d+[kKmMgG]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|huge=(never|always|within_size|advise|deny|force)|mpol=[a-z0-9:,-]{1,64})$/;

export function checkSecurityOptions(options: SecurityFields | undefined, field = "security"): CheckedSecurity {
  const s = options ?? {};
  checkCount(`${field}.devices`, s.devices?.length ?? 0, DEVICES_MAX_ENTRIES);
  checkCount(`${field}.tmpfs`, s.tmpfs?.length ?? 0, MOUNTS_MAX_ENTRIES);
  const capAdd = normalizeCapabilities(`${field}.cap_add`, s.capAdd);
  const capDrop = normalizeCapabilities(`${field}.cap_drop`, s.capDrop);
  checkCapabilitiesHeld(`${field}.cap_add`, capAdd);
  const privileged = s.privileged === true;
  const seccomp = seccompChoice(s.seccomp, `${field}.seccomp`);
  if (privileged && seccomp.kind !== "default") {
    throw invalidArgument(`${field}.privileged already runs without seccomp: leave ${field}.seccomp unset`);
  }
  if (privileged && capDrop.length > 0) {
    throw invalidArgument(`${field}.privileged gives every capability: leave ${field}.cap_drop empty (or drop privileged and add the capabilities needed)`);
  }
  const devices = (s.devices ?? []).map((d, i) => checkDevice(d, `${field}.devices[${i}]`));
  const tmpfs = (s.tmpfs ?? []).map((t, i) => checkTmpfs(t, `${field}.tmpfs[${i}]`));
  const user = s.user === undefined || s.user === "" ? undefined : parseUserRef(`${field}.user`, s.user);
  const userns = checkUsernsOptions(s.userns, `${field}.userns`);
  if (privileged && userns.mode !== "host") {
    // Docker's rule with userns-remap: privileged is the host's root.
    throw invalidArgument(`${field}.privileged needs the host's user namespace: leave ${field}.userns unset (or mode USERNS_MODE_HOST)`);
  }
  return { seccomp, capAdd, capDrop, privileged, devices, tmpfs, ...(user !== undefined && { user }), userns };
}

// isDefaultSecurity says whether options ask for nothing beyond the defaults.
export function isDefaultSecurity(c: CheckedSecurity): boolean {
  return c.seccomp.kind === "default" && c.capAdd.length === 0 && c.capDrop.length === 0 && !c.privileged && c.devices.length === 0 && c.tmpfs.length === 0 && c.user === undefined && c.userns.mode === "host";
}

function seccompChoice(seccomp: SecurityFields["seccomp"], field: string): SeccompChoice {
  const json = seccomp?.profileJson;
  const hasProfile = json !== undefined && json.length > 0;
  if (seccomp?.unconfined === true && hasProfile) {
    throw invalidArgument(`${field}: give either unconfined or profile_json, not both`);
  }
  if (seccomp?.unconfined === true) return { kind: "unconfined" };
  if (hasProfile) return { kind: "profile", profile: parseSeccompProfile(json, `${field}.profile_json`) };
  return { kind: "default" };
}

function checkDevice(d: DeviceFields, field: string): DeviceRequest {
  checkPath(`${field}.host_path`, d.hostPath);
  checkPath(`${field}.container_path`, d.containerPath);
  const hostPath = d.hostPath ?? "";
  if (!posix.isAbsolute(hostPath)) throw invalidArgument(`${field}.host_path ${quote(hostPath)} must be an absolute path on the host, e.g. "/dev/fuse"`);
  const containerPath = d.containerPath === undefined || d.containerPath === "" ? posix.normalize(hostPath) : normalizeDestination(`${field}.container_path`, d.containerPath);
  const permissions = d.permissions === undefined || d.permissions === "" ? "rwm" : d.permissions;
  if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions)) {
    throw invalidArgument(`${field}.permissions ${quote(permissions)} must be letters of "rwm" (read, write, mknod), each once, e.g. "rw"`);
  }
  return { hostPath, containerPath, permissions };
}

function checkTmpfs(t: { destination?: string; options?: readonly string[] }, field: string): OciMount {
  checkPath(`${field}.destination`, t.destination);
  const destination = normalizeDestination(`${field}.destination`, t.destination);
  const given = t.options ?? [];
  checkCount(`${field}.options`, given.length, TMPFS_OPTIONS_MAX_ENTRIES);
  for (const option of given) {
    if (typeof option !== "string" || !(TMPFS_FLAGS.has(option) || TMPFS_DATA.test(option))) {
      throw invalidArgument(
        `${field}.options has ${quote(option)}, not a tmpfs option: give mount flags (ro, noexec, nosuid, nodev, exec...) or size=64m, mode=1777, uid=N, gid=N, nr_inodes=N, one per entry`,
      );
    }
  }
  // Given options come after the defaults: runc applies them in order, so
  // "exec" undoes the default "noexec".
  const mount: OciMount = { destination, type: "tmpfs", source: "tmpfs", options: [...DEFAULT_TMPFS_OPTIONS, ...given] };
  if (destination === "/proc" || destination.startsWith("/proc/")) {
    throw invalidArgument(`${field}.destination ${quote(destination)} is in /proc, which a tmpfs must not cover: pick another destination`);
  }
  checkMountPlacement(field, mount);
  return mount;
}
