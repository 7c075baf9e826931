// The hostile cases of Create's SecurityOptions (issue 14): capability
// names known and unknown, seccomp profiles valid and broken, devices that
// are missing or no devices, tmpfs mounts with bad options or places, users
// by bad syntax or unknown name, user namespaces with bad modes, sizes and
// mappings; and the mistakes each makes, read from
// security.proto. privileged appears only where it is a mistake: a valid
// privileged Create makes every host device node (seconds on a loaded
// host), which the contract suite covers.
import fc from "fast-check";

import { INVALID_ARGUMENT, NOT_FOUND, type HostileCase, type Mistake, type PropertyDef, type Req } from "./case-types.js";
import { hostileString } from "./hostile-values.js";
import type { Ref } from "./world.js";
import { ALL_CAPABILITIES, heldCapabilities } from "../../src/spec/capabilities.js";

const freshRef: Ref = { ref: "fresh" };
const json = (v: unknown) => new Uint8Array(Buffer.from(typeof v === "string" ? v : JSON.stringify(v)));

// Names the daemon takes (any case, CAP_ or not) and names it refuses. No
// capability a host may withhold (SYS_RESOURCE) is added.
const GOOD_CAPS = ["NET_ADMIN", "chown", "CAP_SYS_TIME", "ALL", "cap_kill"];
const BAD_CAPS = ["NET_WIZARD", "", "CAP_", "chown ", "CAP_CHOWN\u0000"];
const capName = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...GOOD_CAPS) }, { weight: 2, arbitrary: fc.constantFrom(...BAD_CAPS) }, { weight: 1, arbitrary: hostileString });
// capabilities(7)'s names, as the daemon takes them; one the daemon's host
// withholds cannot be added.
const goodCap = (name: string, adding: boolean) => {
  const upper = name.toUpperCase();
  const full = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  return upper === "ALL" || (ALL_CAPABILITIES.includes(full) && (!adding || heldCapabilities().includes(full)));
};

const PROFILES: Array<[string, Uint8Array, boolean]> = [
  ["allow all", json({ defaultAction: "SCMP_ACT_ALLOW" }), true],
  ["errno with rules", json({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["keyctl"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }] }), true],
  ["no defaultAction", json({ syscalls: [] }), false],
  ["unknown action", json({ defaultAction: "SCMP_ACT_PERHAPS" }), false],
  ["unknown arch", json({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_PDP11"] }), false],
  ["bad syscall name", json({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["../x"], action: "SCMP_ACT_ALLOW" }] }), false],
  ["bad op", json({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 0, op: "SCMP_CMP_ABOUT" }] }] }), false],
  ["arg index 9", json({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 9, value: 0, op: "SCMP_CMP_EQ" }] }] }), false],
  ["flags", json({ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG"] }), false],
  ["notify without listener", json({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_NOTIFY" }] }), false],
  ["not JSON", json("{defaultAction"), false],
  ["an array", json("[]"), false],
  ["not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), false],
];

const DEVICE_PATHS: Array<[string, Mistake | undefined]> = [
  ["/dev/null", undefined],
  ["/dev/zero", undefined],
  ["/etc/passwd", { why: "a device that is no device node", codes: [INVALID_ARGUMENT] }],
  ["/dev/berth-hostile-missing", { why: "a device that does not exist", codes: [NOT_FOUND] }],
  ["dev/null", { why: "a relative device path", codes: [INVALID_ARGUMENT] }],
  ["", { why: "an empty device path", codes: [INVALID_ARGUMENT] }],
];
const PERMISSIONS = ["", "r", "rw", "rwm", "rx", "rr", "RWM"];

const TMPFS_DESTINATIONS = ["/t", "/t2", "/proc/x", "/proc", "relative", "", "/dev/shm"];
const TMPFS_OPTIONS = ["size=1m", "noexec", "exec", "mode=1777", "uid=1000", "bogus", "size=1m,exec", "size=", "mode=9999"];
const GOOD_TMPFS_OPTIONS = new Set(["size=1m", "noexec", "exec", "mode=1777", "uid=1000"]);

// Users the built-in busybox root filesystem lists, and some it does not.
const USERS = ["", "root", "nobody", "nobody:tty", "1000", "1000:1000", "nosuchuser", "nobody:nosuchgroup", "a:b:c", "a b", "99999999999"];
const GOOD_USERS = new Set(["", "root", "nobody", "nobody:tty", "1000", "1000:1000"]);

// User namespaces against the hostile daemon's default subordinate range
// (1000000000:655360000): the mode, an auto size, explicit mappings good
// and bad (security.proto's rules), each with whether the daemon takes it.
const AUTO = 2;
const MAPPINGS = 3;
const ID_MAP = [{ containerId: 0, hostId: 2_000_000_000, size: 65536 }];
const USERNS: Array<[string, Req, boolean]> = [
  ["host", { mode: 1 }, true],
  ["auto", { mode: AUTO }, true],
  ["auto of 1000", { mode: AUTO, size: 1000 }, true],
  ["explicit", { mode: MAPPINGS, uidMappings: ID_MAP, gidMappings: ID_MAP }, true],
  ["auto over the range", { mode: AUTO, size: 4_294_967_295 }, false],
  ["a size with host", { mode: 1, size: 10 }, false],
  ["no such mode", { mode: 7 }, false],
  ["mappings with auto", { mode: AUTO, uidMappings: ID_MAP, gidMappings: ID_MAP }, false],
  ["uid mappings alone", { mode: MAPPINGS, uidMappings: ID_MAP }, false],
  ["root unmapped", { mode: MAPPINGS, uidMappings: [{ containerId: 1, hostId: 2_000_000_000, size: 10 }], gidMappings: ID_MAP }, false],
  ["a size of 0", { mode: MAPPINGS, uidMappings: [{ containerId: 0, hostId: 2_000_000_000, size: 0 }], gidMappings: ID_MAP }, false],
  ["overlapping", { mode: MAPPINGS, uidMappings: [...ID_MAP, { containerId: 10, hostId: 3_000_000_000, size: 10 }], gidMappings: ID_MAP }, false],
  ["past the last id", { mode: MAPPINGS, uidMappings: [{ containerId: 0, hostId: 4_294_967_290, size: 10 }], gidMappings: ID_MAP }, false],
  ["in the daemon's range", { mode: MAPPINGS, uidMappings: [{ containerId: 0, hostId: 1_000_000_005, size: 10 }], gidMappings: ID_MAP }, false],
];

const security = fc.record(
  {
    capAdd: fc.array(capName, { maxLength: 2 }),
    capDrop: fc.array(capName, { maxLength: 2 }),
    seccomp: fc.oneof(
      fc.constant({}),
      fc.constant({ unconfined: true }),
      fc.constantFrom(...PROFILES.map(([, profileJson]) => ({ profileJson }))),
      fc.constant({ unconfined: true, profileJson: json({ defaultAction: "SCMP_ACT_ALLOW" }) }),
    ),
    devices: fc.array(fc.record({ hostPath: fc.constantFrom(...DEVICE_PATHS.map(([p]) => p)), permissions: fc.constantFrom(...PERMISSIONS) }), { maxLength: 2 }),
    tmpfs: fc.array(fc.record({ destination: fc.constantFrom(...TMPFS_DESTINATIONS), options: fc.array(fc.constantFrom(...TMPFS_OPTIONS), { maxLength: 2 }) }), { maxLength: 2 }),
    user: fc.constantFrom(...USERS),
    userns: fc.constantFrom(...USERNS.map(([, u]) => u)),
  },
  { requiredKeys: [] },
);

// A privileged request that is always a mistake (see the file's comment).
const privilegedMistake = fc.oneof(
  fc.constant({ privileged: true, seccomp: { unconfined: true } }),
  fc.constant({ privileged: true, capDrop: ["NET_RAW"] }),
  fc.constant({ privileged: true, userns: { mode: AUTO } }),
);

export function securityProperties(runs: (n: number) => number): PropertyDef[] {
  const arb: fc.Arbitrary<HostileCase> = fc.oneof({ weight: 9, arbitrary: security }, { weight: 1, arbitrary: privilegedMistake }).map((s) => ({
    rpc: "ContainerService/Create",
    input: "security",
    request: { id: freshRef, process: { args: ["true"] }, security: s },
  }));
  return [{ name: "Create: hostile security options", rpc: "ContainerService/Create", arb, numRuns: runs(25) }];
}

// securityMistakes is what a request's SecurityOptions get wrong.
export function securityMistakes(s: Req | undefined): Mistake[] {
  if (s === undefined) return [];
  const out: Mistake[] = [];
  const invalid = (why: string) => out.push({ why, codes: [INVALID_ARGUMENT] });
  for (const name of (s.capAdd as string[] | undefined) ?? []) if (!goodCap(name, true)) invalid(`no capability ${JSON.stringify(name)} to add`);
  for (const name of (s.capDrop as string[] | undefined) ?? []) if (!goodCap(name, false)) invalid(`no capability ${JSON.stringify(name)} to drop`);
  const seccomp = (s.seccomp as Req | undefined) ?? {};
  const profile = seccomp.profileJson as Uint8Array | undefined;
  const hasProfile = profile !== undefined && profile.length > 0;
  if (seccomp.unconfined === true && hasProfile) invalid("both unconfined and a profile");
  else if (hasProfile && !PROFILES.find(([, p]) => Buffer.from(p).equals(Buffer.from(profile)))?.[2]) invalid("a broken seccomp profile");
  if (s.privileged === true && (seccomp.unconfined === true || hasProfile)) invalid("privileged with a seccomp choice");
  if (s.privileged === true && ((s.capDrop as string[] | undefined) ?? []).length > 0) invalid("privileged with cap_drop");
  for (const d of (s.devices as Req[] | undefined) ?? []) {
    const m = DEVICE_PATHS.find(([p]) => p === d.hostPath)?.[1];
    if (m !== undefined) out.push(m);
    if (!["", "r", "rw", "rwm"].includes(d.permissions as string)) invalid("device permissions outside rwm");
  }
  const destinations = new Set<string>();
  for (const t of (s.tmpfs as Req[] | undefined) ?? []) {
    const d = t.destination as string;
    if (d === "" || !d.startsWith("/") || d === "/proc" || d.startsWith("/proc/")) invalid("a tmpfs destination relative, empty or in /proc");
    else if (destinations.has(d)) invalid("two tmpfs mounts at one destination");
    destinations.add(d);
    for (const o of (t.options as string[] | undefined) ?? []) if (!GOOD_TMPFS_OPTIONS.has(o)) invalid(`no tmpfs option ${JSON.stringify(o)}`);
  }
  if (!GOOD_USERS.has((s.user as string | undefined) ?? "")) invalid("a user that is malformed or not in the container's files");
  const userns = s.userns as Req | undefined;
  if (userns !== undefined) {
    const known = USERNS.find(([, u]) => JSON.stringify(u) === JSON.stringify(userns));
    if (known !== undefined && !known[2]) invalid(`a user namespace with ${known[0]}`);
    if (s.privileged === true && userns.mode !== 1 && userns.mode !== undefined) invalid("privileged with a user namespace of its own");
  }
  return out;
}
