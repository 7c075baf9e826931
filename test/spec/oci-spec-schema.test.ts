// The schema of oci_spec_json refuses what runc 1.1 would fail on, naming
// the field: values outside the enumerations runc enforces (rlimit types,
// seccomp actions, architectures and operators, namespace and device
// types, propagation), a NUL in a path, and null wherever the spec wants an
// object, string, number or array (null is never "left out").
import { describe, expect, it } from "vitest";

import { BerthError } from "../../src/errors/berth-error.js";
import { applySpecOverrides } from "../../src/spec/user-spec.js";

type Json = Record<string, any>;

const base = (): Json => ({
  process: { args: ["true"], cwd: "/", user: { uid: 0, gid: 0 } },
  mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
});

// refusal applies a change to a minimal valid spec and returns the error's
// message, or "OK" when the spec passed.
function refusal(change: (spec: Json) => void): string {
  const spec = base();
  change(spec);
  try {
    applySpecOverrides(Buffer.from(JSON.stringify(spec)), { rootfsPath: "/", cgroupsPath: "/berth-test/x" });
    return "OK";
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe("invalid_argument");
    return (err as BerthError).message;
  }
}

describe("enumerations runc enforces", () => {
  it("rlimit types are the ones runc maps to setrlimit", () => {
    expect(refusal((s) => (s.process.rlimits = [{ type: "RLIMIT_BOGUS", hard: 1, soft: 1 }]))).toMatch(
      /^oci_spec_json: \/process\/rlimits\/0\/type must be one of "RLIMIT_AS", .*"RLIMIT_STACK"$/,
    );
    for (const type of ["RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING"]) {
      expect(refusal((s) => (s.process.rlimits = [{ type, hard: 1024, soft: 1024 }]))).toBe("OK");
    }
  });

  it("seccomp actions, architectures and operators", () => {
    expect(refusal((s) => (s.linux = { seccomp: { defaultAction: "SCMP_ACT_BOGUS" } }))).toContain("/linux/seccomp/defaultAction must be one of");
    expect(refusal((s) => (s.linux = { seccomp: { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_RISCV64"] } }))).toContain(
      "/linux/seccomp/architectures/0 must be one of",
    );
    const rule = (op: string, action = "SCMP_ACT_ERRNO") => ({ names: ["getpid"], action, args: [{ index: 0, value: 1, op }] });
    expect(refusal((s) => (s.linux = { seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [rule("SCMP_CMP_BOGUS")] } }))).toContain(
      "/linux/seccomp/syscalls/0/args/0/op must be one of",
    );
    expect(refusal((s) => (s.linux = { seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [rule("SCMP_CMP_EQ", "KILL")] } }))).toContain(
      "/linux/seccomp/syscalls/0/action must be one of",
    );
    expect(refusal((s) => (s.linux = { seccomp: { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG"] } }))).toContain(
      "/linux/seccomp/flags",
    );
    expect(
      refusal((s) => (s.linux = { seccomp: { defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"], syscalls: [rule("SCMP_CMP_EQ", "SCMP_ACT_ALLOW")] } })),
    ).toBe("OK");
  });

  it("namespace types, device types and rootfs propagation", () => {
    expect(refusal((s) => (s.linux = { namespaces: [{ type: "time" }] }))).toContain("/linux/namespaces/0/type must be one of");
    expect(refusal((s) => (s.linux = { devices: [{ path: "/dev/x", type: "x" }] }))).toContain("/linux/devices/0/type must be one of");
    expect(refusal((s) => (s.linux = { resources: { devices: [{ allow: false, type: "u" }] } }))).toContain("/linux/resources/devices/0/type must be one of");
    expect(refusal((s) => (s.linux = { rootfsPropagation: "sideways" }))).toContain("/linux/rootfsPropagation must be one of");
  });

  it("capabilities must be written as capability names (runc ignores unknown ones)", () => {
    expect(refusal((s) => (s.process.capabilities = { bounding: ["CAP_CHOWN", "chown"] }))).toBe(
      'oci_spec_json: /process/capabilities/bounding/1 must be a capability name such as "CAP_CHOWN" (upper case, no spaces)',
    );
    expect(refusal((s) => (s.process.capabilities = { ambient: ["CAP_KILL "] }))).toContain("must be a capability name");
    expect(refusal((s) => (s.process.capabilities = { bounding: ["CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"] }))).toBe("OK");
  });
});

describe("null is never a value left out", () => {
  const cases: [string, (s: Json) => void, string][] = [
    ["process.user", (s) => (s.process.user = null), "/process/user must be object"],
    ["process.cwd", (s) => (s.process.cwd = null), "/process/cwd must be string"],
    ["process.env", (s) => (s.process.env = null), "/process/env must be array"],
    ["process.user.uid", (s) => (s.process.user.uid = null), "/process/user/uid must be integer"],
    ["process.capabilities", (s) => (s.process.capabilities = null), "/process/capabilities must be object"],
    ["root", (s) => (s.root = null), "/root must be object"],
    ["linux", (s) => (s.linux = null), "/linux must be object"],
    ["ociVersion", (s) => (s.ociVersion = null), "/ociVersion must be string"],
    ["hostname", (s) => (s.hostname = null), "/hostname must be string"],
    ["mounts", (s) => (s.mounts = null), "/mounts must be array"],
    ["a mount's options", (s) => (s.mounts[0].options = null), "/mounts/0/options must be array"],
    ["an env entry", (s) => (s.process.env = [null]), "/process/env/0 must be string"],
  ];
  for (const [field, change, message] of cases) {
    it(`${field}: null is refused`, () => {
      expect(refusal(change)).toBe(`oci_spec_json: ${message}`);
    });
  }

  it("process: null is refused as a missing process", () => {
    expect(refusal((s) => (s.process = null))).toContain('the spec has no "process" object');
  });

  it("a field left out still takes its default", () => {
    expect(
      refusal((s) => {
        delete s.process.user;
        delete s.process.cwd;
      }),
    ).toBe("OK");
  });
});

describe("paths", () => {
  it("a NUL in any path is refused", () => {
    expect(refusal((s) => (s.mounts[0].source = "pr\u0000oc"))).toBe("oci_spec_json: /mounts/0/source must not contain a NUL character");
    expect(refusal((s) => (s.process.cwd = "/tmp\u0000"))).toBe("oci_spec_json: /process/cwd must not contain a NUL character");
    expect(refusal((s) => (s.linux = { maskedPaths: ["/proc/kcore\u0000x"] }))).toContain("must not contain a NUL character");
  });
});
