// --hook on berth run and berth create, through the built CLI against a
// real `berth serve`: the hooks run (real scripts, recording their stage
// and state), inspect shows them, and a failing prestart hook fails the
// command with the hook's words and exit code 73 (FAILED_PRECONDITION).
import { beforeAll, describe, expect, it } from "vitest";

import { makeHookScripts, type HookScripts } from "../fixtures/hook-scripts.js";
import { until } from "../fixtures/until.js";
import { useServeDaemon } from "./berth-cli.js";

const prefix = `clih-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;

let h: HookScripts;

const served = useServeDaemon("clih", prefix);
const cli = served.cli;

beforeAll(async () => {
  h = await makeHookScripts("hooks", served.scratch);
});

describe("berth run and create --hook", () => {
  it("runs the hooks given, and inspect shows them", { timeout: 60_000 }, async () => {
    const c = id("run");
    const run = await cli("run", "--rm", "--hook", `prestart=${h.record},prestart,${h.log}`, "--hook", `poststop=${h.record},poststop,${h.log}`, c, "--", "sh", "-c", "echo hi");
    expect(run).toMatchObject({ code: 0, stdout: "hi\n" });
    await until(async () => (await h.stages()).includes("poststop"), "poststop after the run");
    expect((await h.records()).map((r) => [r.stage, r.state.id])).toEqual([
      ["prestart", c],
      ["poststop", c],
    ]);

    const made = id("create");
    expect(await cli("create", "--hook", `createRuntime=${h.record},createRuntime,${h.log}`, made, "--", "true")).toMatchObject({ code: 0, stdout: `${made}\n` });
    const inspected = JSON.parse((await cli("inspect", made)).stdout) as Array<{ config: { hooks: Record<string, unknown> } }>;
    expect(inspected[0]!.config.hooks["createRuntime"]).toEqual([{ path: h.record, args: [h.record, "createRuntime", h.log], env: [], timeoutSeconds: 60 }]);
    expect((await cli("rm", made)).code).toBe(0);
  });

  it("fails with the failing hook's words and the FAILED_PRECONDITION exit code", { timeout: 30_000 }, async () => {
    const failed = await cli("run", "--rm", "--hook", `prestart=${h.fail},prestart,${h.log}`, id("fail"), "--", "true");
    expect(failed.code).toBe(64 + 9);
    expect(failed.stderr).toContain(`berth: prestart hook #0 "${h.fail}" failed: exited with code 3; stderr: hook says no: prestart is broken`);
    expect((await cli("run", "--hook", "later=/bin/true", id("bad"), "--", "true")).code).toBe(2);
  });
});
