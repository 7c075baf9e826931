// Capability names as a caller gives them (cap_add, cap_drop) and the set
// they make, on Docker's rules (oci/caps in moby: NormalizeLegacyCapabilities
// and TweakCapabilities).
import { readFileSync } from "node:fs";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkCount } from "./request-limits.js";

// ALL_CAPABILITIES are the capabilities runc 1.1.5 knows (`runc features`,
// from its copy of libcap's list), in the kernel's order. A name outside
// it is the caller's mistake: runc would only warn and drop it.
export const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
  "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
  "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
  "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
  "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
];

const KNOWN = new Set(ALL_CAPABILITIES);
const ALL = "ALL";
// More names than there are capabilities is a mistake; the bound keeps the
// per-entry work small.
export const CAP_LIST_MAX_ENTRIES = 64;

// normalizeCapabilities turns "net_admin", "CAP_NET_ADMIN" and "Net_Admin"
// into "CAP_NET_ADMIN", keeps "ALL", and refuses a name runc does not know.
export function normalizeCapabilities(field: string, names: readonly string[] | undefined): string[] {
  const list = names ?? [];
  checkCount(field, list.length, CAP_LIST_MAX_ENTRIES);
  return list.map((name, i) => {
    if (typeof name !== "string" || name.length > 64) throw invalidArgument(`${field}[${i}] must be a capability name such as "NET_ADMIN"`);
    const upper = name.toUpperCase();
    if (upper === ALL) return ALL;
    const full = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
    if (!KNOWN.has(full)) {
      throw invalidArgument(`${field}[${i}] ${quote(name)} is not a capability: give a name such as "NET_ADMIN" or "CAP_SYS_TIME", or "ALL" (see capabilities(7))`);
    }
    return full;
  });
}

let held: readonly string[] | undefined;

// heldCapabilities are the capabilities this daemon's own bounding set
// holds: all a container can get (a host or outer container may withhold
// some, e.g. CAP_SYS_RESOURCE), as containerd's WithAllCurrentCapabilities
// gives a privileged container. Read once: a process's bounding set only
// ever shrinks, and berth never shrinks its own.
export function heldCapabilities(): readonly string[] {
  if (held === undefined) {
    const line = readFileSync("/proc/self/status", "utf8").match(/^CapBnd:\s*([0-9a-f]+)$/m)?.[1];
    const mask = line === undefined ? -1n : BigInt(`0x${line}`);
    held = ALL_CAPABILITIES.filter((_, bit) => mask === -1n || ((mask >> BigInt(bit)) & 1n) === 1n);
  }
  return held;
}

// checkCapabilitiesHeld throws unless the daemon holds every capability of
// caps: runc would fail to set one it lacks ("unable to apply caps").
export function checkCapabilitiesHeld(field: string, caps: readonly string[]): void {
  const have = new Set(heldCapabilities());
  const missing = caps.find((c) => c !== ALL && !have.has(c));
  if (missing !== undefined) {
    throw invalidArgument(`${field} asks for ${missing}, which this daemon does not hold itself (its host withholds it), so no container here can have it: leave it out`);
  }
}

// tweakCapabilities returns base with drops removed and adds appended (base
// keeps its order). As Docker: drop ALL then add some keeps only those;
// add ALL gives every capability the daemon holds less the drops; a name in
// both lists is added (the add wins), since that is what the caller asked
// for last.
export function tweakCapabilities(base: readonly string[], add: readonly string[], drop: readonly string[]): string[] {
  const start = add.includes(ALL) ? heldCapabilities() : drop.includes(ALL) ? [] : base;
  const dropped = new Set(drop.includes(ALL) ? [] : drop);
  const result = start.filter((cap) => !dropped.has(cap));
  for (const cap of add) if (cap !== ALL && !result.includes(cap)) result.push(cap);
  return result;
}
