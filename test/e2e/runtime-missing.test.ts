// A host without the runtime or the monitor gets UNAVAILABLE with the
// command that installs it, not a stack trace.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { Remote } from "../../src/remote/remote.js";

describe("a missing runtime", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it.each([
    ["runc", { runtime: "/nonexistent/runc" }, /apt-get install runc/],
    ["conmon", { conmon: "/nonexistent/conmon" }, /apt-get install conmon/],
  ])("is UNAVAILABLE when %s is missing", async (_name, options, hint) => {
    const stateDir = await mkdtemp(join(tmpdir(), "berth-test-missing-"));
    dirs.push(stateDir);
    const started = Remote.start({ stateDir, socketPath: join(stateDir, "s.sock"), ...options });
    await expect(started).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(hint) });
  });
});
