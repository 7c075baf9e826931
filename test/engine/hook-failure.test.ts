// runc 1.1.5's words for a failed hook (as `runc create` and the init's
// stderr print them, seen on this machine) turned into berth's.
import { describe, expect, it } from "vitest";

import { hookFailure } from "../../src/engine/hook-failure.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { mergeHooks } from "../../src/spec/hook-spec.js";

const INIT = String.raw`runc create c1: runc create failed: unable to start container process: error during container init: error running hook #1: error running hook: exit status 3, stdout: out\n, stderr: broken: no\nsecond line\n`;
const hooks = (h: Parameters<typeof mergeHooks>[1]) => mergeHooks(undefined, h);

describe("hookFailure", () => {
  it("names the stage, index and path, the exit code and the hook's stderr", () => {
    const err = hookFailure(new Error(INIT), hooks({ prestart: [{ path: "/a" }, { path: "/b" }] }), "create");
    expect(err).toBeInstanceOf(BerthError);
    expect(err?.code).toBe("failed_precondition");
    expect(err?.message).toBe('prestart hook #1 "/b" failed: exited with code 3; stderr: broken: no\nsecond line');
  });

  it("names every stage that has a hook of that index, since runc names none", () => {
    const err = hookFailure(new Error(INIT), hooks({ prestart: [{ path: "/a" }], createRuntime: [{ path: "/r0" }, { path: "/r1" }], createContainer: [{ path: "/c0" }, { path: "/c1" }] }), "create");
    expect(err?.message).toMatch(/^createRuntime hook #1 "\/r1" or createContainer hook #1 "\/c1" failed: exited with code 3/);
  });

  it("reads a failure after the init's, in create, as poststart's; a timeout and a program that cannot start", () => {
    const set = hooks({ poststart: [{ path: "/p", timeoutSeconds: 5 }] });
    expect(hookFailure(new Error("runc create c1: runc create failed: error running hook #0: hook ran past specified timeout of 5.0s"), set, "create")?.message).toBe(
      'poststart hook #0 "/p" failed: ran past its timeout of 5 s and was killed',
    );
    expect(hookFailure(new Error("error running hook #0: fork/exec /p: permission denied"), hooks({ startContainer: [{ path: "/p" }] }), "start")?.message).toBe(
      'startContainer hook #0 "/p" failed: fork/exec /p: permission denied',
    );
  });

  it("leaves alone what no hook of the container explains", () => {
    expect(hookFailure(new Error(INIT), hooks({ poststop: [{ path: "/a" }] }), "create")).toBeUndefined();
    expect(hookFailure(new Error("runc create c1: exec: \"x\": executable file not found in $PATH"), hooks({ prestart: [{ path: "/a" }] }), "create")).toBeUndefined();
    expect(hookFailure(new Error(INIT), undefined, "create")).toBeUndefined();
  });
});
