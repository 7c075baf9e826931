// The seccomp filter of a container berth builds: its default profile made
// for the container's capabilities and this host, or a caller's own profile
// checked before anything reaches runc.
import { Ajv, type ValidateFunction } from "ajv";
import { release } from "node:os";

import { invalidArgument } from "../errors/berth-error.js";
import { hostCompatAbis } from "./compat-abis.js";
import { SECCOMP_SCHEMA } from "./oci-spec-schema.js";
import type { OciSeccomp, OciSeccompSyscall } from "./oci-spec.js";
import { OCI_SPEC_JSON_MAX_BYTES } from "./request-limits.js";
import { DEFAULT_ERRNO_RET, DEFAULT_SECCOMP_RULES, type SeccompRule, type SeccompRuleCondition } from "./seccomp-default-rules.js";
import { describeSchemaError } from "./validate-oci-spec.js";

export interface SeccompHost {
  // arch is Node's process.arch ("x64", "arm64", ...).
  arch: string;
  // kernel is uname's release, e.g. "6.1.0-18-amd64".
  kernel: string;
  // x32 and ia32 say whether the kernel runs x32 and 32-bit code (see
  // compat-abis.ts); unset means it may, and x86-64's filter lists
  // SCMP_ARCH_X32 and SCMP_ARCH_X86 as Docker's does.
  readonly x32?: boolean | undefined;
  readonly ia32?: boolean | undefined;
}

export const THIS_HOST: SeccompHost = {
  arch: process.arch,
  kernel: release(),
  get x32() {
    return process.arch === "x64" ? hostCompatAbis().x32 : undefined;
  },
  get ia32() {
    return process.arch === "x64" ? hostCompatAbis().ia32 : undefined;
  },
};

// Node's architecture names to Go's (the rules' `arches`) and to the
// libseccomp architectures a filter must list: the native one and those a
// process on it can also call in (x86-64 runs 32-bit and x32 code), as
// default.json's archMap does. riscv64 lists none: runc 1.1 knows no
// SCMP_ARCH_RISCV64, and an empty list means the native architecture.
const ARCHES: Readonly<Record<string, { go: string; scmp: string[] }>> = {
  x64: { go: "amd64", scmp: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
  ia32: { go: "x86", scmp: ["SCMP_ARCH_X86"] },
  arm64: { go: "arm64", scmp: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"] },
  arm: { go: "arm", scmp: ["SCMP_ARCH_ARM"] },
  s390x: { go: "s390x", scmp: ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"] },
  ppc64: { go: "ppc64le", scmp: ["SCMP_ARCH_PPC64LE"] },
  riscv64: { go: "riscv64", scmp: [] },
};

// Profiles made, by capability set and host: a Create builds the same one
// over and over (twice, with the request's check), and it is frozen, so
// the spec holding it cannot change it for the next.
const made = new Map<string, OciSeccomp>();
const MADE_MAX = 64;

// defaultSeccompProfile is berth's default profile (DEFAULT_SECCOMP_RULES)
// for a container whose bounding set is capabilities, on host. The object
// is shared and frozen: clone it to change it.
export function defaultSeccompProfile(capabilities: readonly string[], host: SeccompHost = THIS_HOST): OciSeccomp {
  const key = `${host.arch} ${host.kernel} ${String(host.x32)} ${String(host.ia32)} ${[...capabilities].sort().join(",")}`;
  let profile = made.get(key);
  if (profile === undefined) {
    profile = deepFreeze(buildProfile(capabilities, host));
    if (made.size >= MADE_MAX) made.clear();
    made.set(key, profile);
  }
  return profile;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function buildProfile(capabilities: readonly string[], host: SeccompHost): OciSeccomp {
  const known = ARCHES[host.arch] ?? { go: host.arch, scmp: [] };
  const off = new Set([host.x32 === false && "SCMP_ARCH_X32", host.ia32 === false && "SCMP_ARCH_X86"]);
  const arch = host.arch === "x64" ? { ...known, scmp: known.scmp.filter((a) => !off.has(a)) } : known;
  const caps = new Set(capabilities);
  const holds = (c: SeccompRuleCondition | undefined, empty: boolean): boolean => {
    if (c === undefined) return empty;
    const parts = [
      c.caps === undefined ? undefined : c.caps.every((cap) => caps.has(cap)),
      c.arches === undefined ? undefined : c.arches.includes(arch.go),
      c.minKernel === undefined ? undefined : kernelAtLeast(host.kernel, c.minKernel),
    ].filter((p) => p !== undefined);
    return parts.length === 0 ? empty : parts.every(Boolean);
  };
  // default.json's semantics: every condition in includes must hold, and
  // the rule is dropped when any condition in excludes holds.
  const excluded = (c: SeccompRuleCondition | undefined): boolean =>
    c !== undefined &&
    ((c.caps?.some((cap) => caps.has(cap)) ?? false) || (c.arches?.includes(arch.go) ?? false) || (c.minKernel !== undefined && kernelAtLeast(host.kernel, c.minKernel)));
  const syscalls = DEFAULT_SECCOMP_RULES.filter((rule) => holds(rule.includes, true) && !excluded(rule.excludes)).map(toSyscall);
  return {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: DEFAULT_ERRNO_RET,
    ...(arch.scmp.length > 0 && { architectures: [...arch.scmp] }),
    syscalls,
  };
}

function toSyscall(rule: SeccompRule): OciSeccompSyscall {
  return {
    names: [...rule.names],
    action: rule.action,
    ...(rule.errnoRet !== undefined && { errnoRet: rule.errnoRet }),
    ...(rule.args !== undefined && { args: rule.args.map((a) => ({ ...a })) }),
  };
}

// kernelAtLeast compares "major.minor" of a uname release with want.
export function kernelAtLeast(kernel: string, want: string): boolean {
  const [km = 0, kn = 0] = (kernel.match(/^(\d+)\.(\d+)/)?.slice(1) ?? []).map(Number);
  const [wm = 0, wn = 0] = want.split(".").map(Number);
  return km > wm || (km === wm && kn >= wn);
}

let compiled: ValidateFunction | undefined;

// parseSeccompProfile reads a caller's profile (SecurityOptions.seccomp
// .profile_json): a JSON object as the OCI spec's linux.seccomp, checked
// against the same schema as a full spec's, and for what runc refuses only
// once it runs. field names the request's field in messages.
export function parseSeccompProfile(bytes: Uint8Array, field = "security.seccomp.profile_json"): OciSeccomp {
  if (bytes.length > OCI_SPEC_JSON_MAX_BYTES) {
    throw invalidArgument(`${field} is ${bytes.length} bytes, over the limit of ${OCI_SPEC_JSON_MAX_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw invalidArgument(`${field} is not valid UTF-8 JSON (${(err as Error).message.slice(0, 160)}): give an OCI linux.seccomp object such as Docker's default.json`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(`${field} must be a JSON object with at least "defaultAction", e.g. {"defaultAction": "SCMP_ACT_ALLOW"}`);
  }
  // A small schema: compiled on first use in a few milliseconds.
  compiled ??= new Ajv({ allErrors: false, strict: true, validateSchema: false }).compile(SECCOMP_SCHEMA);
  if (!compiled(value)) {
    const error = compiled.errors?.[0];
    throw invalidArgument(`${field}: ${error === undefined ? "is not an OCI seccomp profile" : describeSchemaError(error)}`);
  }
  const profile = value as OciSeccomp;
  checkProfileRules(profile, field);
  return profile;
}

// checkProfileRules holds what the schema cannot say and runc 1.1.5 refuses
// (libcontainer/seccomp and specconv).
function checkProfileRules(profile: OciSeccomp, field: string): void {
  const notify = profile.defaultAction === "SCMP_ACT_NOTIFY" || (profile.syscalls ?? []).some((s) => s.action === "SCMP_ACT_NOTIFY");
  if (notify && (profile.listenerPath ?? "") === "") {
    throw invalidArgument(`${field}: SCMP_ACT_NOTIFY needs "listenerPath", the unix socket of the agent that answers the calls`);
  }
  if (profile.defaultAction === "SCMP_ACT_NOTIFY") {
    throw invalidArgument(`${field}: /defaultAction cannot be SCMP_ACT_NOTIFY (runc would have to answer its own calls): use it on named syscalls`);
  }
  (profile.syscalls ?? []).forEach((s, i) => {
    (s.args ?? []).forEach((a, j) => {
      if (a.index > 5) throw invalidArgument(`${field}: /syscalls/${i}/args/${j}/index is ${a.index}: a system call has arguments 0 to 5`);
    });
  });
}
