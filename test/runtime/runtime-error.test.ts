import { describe, expect, it } from "vitest";

import { lastErrorLine, runtimeError } from "../../src/runtime/runtime-error.js";

describe("runtimeError", () => {
  it("keeps runc's own last error line and maps it to a code", () => {
    const stderr = 'time="2026-01-01T00:00:00Z" level=warning msg="something"\ntime="2026-01-01T00:00:00Z" level=error msg="container \\"x\\" does not exist"\n';
    expect(lastErrorLine(stderr)).toBe('container "x" does not exist');
    const err = runtimeError("runc state x", stderr, 1);
    expect(err.code).toBe("not_found");
    expect(err.message).toBe('runc state x: container "x" does not exist');
  });

  it.each([
    ["container not running", "failed_precondition"],
    ["cannot pause a stopped container", "failed_precondition"],
    ['exec failed: unable to start container process: exec: "nope": executable file not found in $PATH', "invalid_argument"],
    ["runc create failed: unable to start container process: error during container init: mkdir /etc/passwd: not a directory", "invalid_argument"],
    ['exec failed: unable to start container process: chdir to cwd ("/etc/passwd") set in config.json failed: not a directory', "invalid_argument"],
    [
      'runc create failed: unable to start container process: error during container init: error mounting "/srv/d" to rootfs at "/etc/passwd": mount /srv/d:/etc/passwd (via /proc/self/fd/6), flags: 0x5000: not a directory',
      "invalid_argument",
    ],
    ["ID already in use", "already_exists"],
    ["some unforeseen failure", "internal"],
  ])("maps %j to %s", (line, code) => expect(runtimeError("runc x", line, 1).code).toBe(code));

  it("says the exit code when the runtime printed nothing", () => {
    expect(runtimeError("runc start x", "", 2).message).toBe("runc start x: exited with code 2 and no message");
  });
});
