import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { applySpecOverrides } from "../../src/spec/user-spec.js";

const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));
const overrides = { rootfsPath: "/state/c/bundle/rootfs", cgroupsPath: "/berth/default/c" };
const PROC = { destination: "/proc", type: "proc", source: "proc" };

function invalidMessage(json: unknown, more: Partial<typeof overrides & { readonlyRootfs: boolean }> = {}): string {
  try {
    applySpecOverrides(encode(json), { ...overrides, ...more });
  } catch (err) {
    expect(isBerthError(err, "invalid_argument"), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("applySpecOverrides", () => {
  it("sets root.path and cgroupsPath and keeps everything else", () => {
    const user = {
      ociVersion: "1.0.2-dev",
      process: { args: ["nginx"], cwd: "/", user: { uid: 101, gid: 101 }, capabilities: { bounding: ["CAP_NET_ADMIN"] } },
      root: { path: "rootfs", readonly: false },
      mounts: [PROC],
      linux: { cgroupsPath: "/elsewhere", namespaces: [{ type: "pid" }], seccomp: { defaultAction: "SCMP_ACT_ALLOW" } },
      hooks: { prestart: [] },
    };
    const spec = applySpecOverrides(encode(user), overrides);
    expect(spec).toEqual({
      ...user,
      root: { path: "/state/c/bundle/rootfs", readonly: false },
      linux: { ...user.linux, cgroupsPath: "/berth/default/c" },
    });
  });

  it("forces a read-only root when the rootfs is shared, and fills what runc requires", () => {
    const spec = applySpecOverrides(encode({ process: { args: ["sh"] }, mounts: [PROC] }), { ...overrides, readonlyRootfs: true });
    expect(spec.root).toEqual({ path: overrides.rootfsPath, readonly: true });
    expect(spec.process.cwd).toBe("/");
    expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
    expect(spec.ociVersion).toBe("1.0.2");
    expect(spec.linux).toEqual({ cgroupsPath: overrides.cgroupsPath });
  });

  it("says clearly what is wrong with a bad spec", () => {
    expect(invalidMessage("{not json")).toMatch(/not valid UTF-8 JSON .*runc spec/);
    expect(invalidMessage("[1, 2]")).toMatch(/must be a JSON object/);
    expect(invalidMessage({ root: {} })).toMatch(/no "process" object/);
    expect(invalidMessage({ process: {} })).toMatch(/process\.args is empty/);
    expect(invalidMessage({ process: { args: [] } })).toMatch(/process\.args is empty/);
    expect(invalidMessage({ process: { args: ["sh"], cwd: "rel" } })).toMatch(/absolute/);
    expect(invalidMessage({ process: { args: ["sh"], user: { uid: "root" } } })).toMatch(/must have the field "gid"|\/process\/user\/uid must be integer/);
    expect(invalidMessage({ process: { args: ["sh"], env: [1] } })).toBe("oci_spec_json: /process/env/0 must be string");
    expect(invalidMessage({ process: { args: ["sh"] }, linux: [] })).toBe("oci_spec_json: /linux must be object");
  });

  it("rejects bytes that are not UTF-8", () => {
    try {
      applySpecOverrides(new Uint8Array([0xff, 0xfe, 0x7b]), overrides);
      throw new Error("expected INVALID_ARGUMENT");
    } catch (err) {
      expect(isBerthError(err, "invalid_argument")).toBe(true);
    }
  });
});

// Fields of the wrong JSON type or out of range made runc fail with a Go
// unmarshalling error (INTERNAL); the schema names the field instead.
describe("applySpecOverrides against the OCI schema", () => {
  const spec = (process: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ process: { args: ["sh"], ...process }, mounts: [PROC], ...more });

  it.each([
    [spec({ user: { uid: 2 ** 31, gid: 0 } }), "oci_spec_json: /process/user/uid must be <= 2147483647"],
    [spec({ user: { uid: 0, gid: 0, additionalGids: [-1] } }), "oci_spec_json: /process/user/additionalGids/0 must be >= 0"],
    [spec({ user: { uid: 1.5, gid: 0 } }), "oci_spec_json: /process/user/uid must be integer"],
    [spec({ terminal: "yes" }), "oci_spec_json: /process/terminal must be boolean"],
    [spec({ args: "sh" }), "oci_spec_json: /process/args must be array"],
    [spec({}, { hostname: 7 }), "oci_spec_json: /hostname must be string"],
    [spec({}, { mounts: [{ source: "/tmp" }] }), 'oci_spec_json: /mounts/0 must have the field "destination"'],
    [spec({}, { linux: { namespaces: [{ type: "pidns" }] } }), 'oci_spec_json: /linux/namespaces/0/type must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup"'],
    [spec({}, { linux: { resources: { memory: { limit: "1g" } } } }), "oci_spec_json: /linux/resources/memory/limit must be integer"],
    [spec({}, { linux: { resources: { cpu: { shares: -5 } } } }), "oci_spec_json: /linux/resources/cpu/shares must be >= 0"],
    [spec({ rlimits: [{ type: "RLIMIT_NOFILE", hard: 1 }] }), 'oci_spec_json: /process/rlimits/0 must have the field "soft"'],
    [spec({}, { annotations: { a: 1 } }), "oci_spec_json: /annotations/a must be string"],
  ])("refuses %j: %s", (json, message) => {
    expect(invalidMessage(json)).toBe(message);
  });

  it("refuses mounts runc would refuse, naming them", () => {
    expect(invalidMessage(spec({}, { mounts: [{ destination: "/proc", type: "bind", source: "/tmp", options: ["rbind"] }] }))).toMatch(
      /^oci_spec_json: \/mounts\/0 covers \/proc with a bind mount/,
    );
    expect(invalidMessage(spec({}, { mounts: [{ destination: "/proc/kcore", type: "bind", source: "/tmp" }] }))).toMatch(/inside \/proc/);
    expect(invalidMessage(spec({}, { mounts: [{ destination: "/sys", type: "none", source: "/sys", options: ["rbind"] }] }))).toMatch(/replaces \/sys/);
    expect(invalidMessage(spec({}, { mounts: [{ destination: "data", type: "bind", source: "/tmp" }] }))).toMatch(/must be an absolute path inside the container/);
    // The defaults runc spec writes pass.
    expect(() => applySpecOverrides(encode(spec({}, { mounts: [PROC, { destination: "/proc/meminfo", type: "bind", source: "/tmp/meminfo" }] })), overrides)).not.toThrow();
    // runc's init needs procfs at /proc: without it runc failed after the
    // monitor started (INTERNAL).
    expect(invalidMessage(spec({}, { mounts: [] }))).toMatch(/^oci_spec_json: \/mounts has no procfs at \/proc, which runc needs/);
    expect(invalidMessage({ process: { args: ["sh"] } })).toMatch(/no procfs at \/proc/);
  });

  it("bounds the spec's size and lists before their entries are read", () => {
    expect(invalidMessage("x".repeat(1024 * 1024 + 1))).toMatch(/oci_spec_json is 1048577 bytes, over the limit of 1048576/);
    const env = Array.from({ length: 16_385 }, (_, i) => `K${i}=v`);
    expect(invalidMessage(spec({ env }))).toBe("oci_spec_json: /process/env must NOT have more than 16384 items");
    expect(invalidMessage(spec({ env: [`A=${"x".repeat(200_000)}`] }))).toMatch(/^oci_spec_json: \/process\/env\/0 must NOT have more than 131071 characters/);
  });
});
