import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { applySpecOverrides } from "../../src/spec/user-spec.js";

const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));
const overrides = { rootfsPath: "/state/c/bundle/rootfs", cgroupsPath: "/berth/default/c" };

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
    const spec = applySpecOverrides(encode({ process: { args: ["sh"] } }), { ...overrides, readonlyRootfs: true });
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
    expect(invalidMessage({ process: { args: ["sh"], user: { uid: "root" } } })).toMatch(/numeric "uid"/);
    expect(invalidMessage({ process: { args: ["sh"], env: [1] } })).toMatch(/KEY=VALUE/);
    expect(invalidMessage({ process: { args: ["sh"] }, linux: [] })).toMatch(/"linux" must be an object/);
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
