import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { buildDefaultSpec } from "../../src/spec/default-spec.js";
import { buildExecProcess, mergeEnv } from "../../src/spec/process-spec.js";

describe("buildExecProcess", () => {
  const container = buildDefaultSpec({
    process: { args: ["sh"], env: ["APP=1"], cwd: "/srv", user: { uid: 1000, gid: 1000 }, terminal: true },
    rootfsPath: "/rootfs",
  });

  it("inherits the container's env, cwd, user, capabilities and limits", () => {
    const process = buildExecProcess({ args: ["ps"] }, container);
    expect(process.args).toEqual(["ps"]);
    expect(process.env).toEqual(container.process.env);
    expect(process.cwd).toBe("/srv");
    expect(process.user).toEqual({ uid: 1000, gid: 1000 });
    expect(process.capabilities).toEqual(container.process.capabilities);
    expect(process.rlimits).toEqual(container.process.rlimits);
    expect(process.noNewPrivileges).toBe(true);
    // A terminal is the new process's own choice, never inherited.
    expect(process.terminal).toBe(false);
  });

  it("overrides with the given fields, env by key", () => {
    const process = buildExecProcess(
      {
        args: ["sh", "-c", "env"],
        env: ["APP=2", "NEW=x"],
        cwd: "/tmp",
        user: { uid: 0, gid: 0 },
        terminal: true,
        consoleSize: { width: 100, height: 30 },
      },
      container,
    );
    expect(process.env).toEqual([container.process.env?.[0], "APP=2", "TERM=xterm", "NEW=x"]);
    expect(process.cwd).toBe("/tmp");
    expect(process.user).toEqual({ uid: 0, gid: 0 });
    expect(process.consoleSize).toEqual({ width: 100, height: 30 });
  });

  it("never changes the container's spec", () => {
    const before = JSON.stringify(container);
    const process = buildExecProcess({ args: ["true"] }, container);
    process.capabilities?.bounding?.push("CAP_SYS_ADMIN");
    process.user.uid = 0;
    expect(JSON.stringify(container)).toBe(before);
  });

  it("requires args", () => {
    try {
      buildExecProcess({ args: [] }, container);
      throw new Error("expected INVALID_ARGUMENT");
    } catch (err) {
      expect(isBerthError(err, "invalid_argument")).toBe(true);
      expect((err as Error).message).toMatch(/process\.args is empty/);
    }
  });
});

describe("mergeEnv", () => {
  it("replaces by key in place and appends new keys", () => {
    expect(mergeEnv(["A=1", "B=2"], ["B=3", "C=4", "A="])).toEqual(["A=", "B=3", "C=4"]);
  });
});
