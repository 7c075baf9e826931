// --hook on berth run and berth create, through the built CLI against a
// real `berth serve`: the hooks run (real scripts, recording their stage
// and state), inspect shows them, and a failing prestart hook fails the
// command with the hook's words and exit code 73 (FAILED_PRECONDITION).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { makeHookScripts, type HookScripts } from "../fixtures/hook-scripts.js";
import { until } from "../fixtures/until.js";
import { berth, startBerth, waitForOutput, type RunningCli } from "./berth-cli.js";

const prefix = `clih-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;

let scratch: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningCli | undefined;
let h: HookScripts;

const cli = (...args: string[]) => berth(args, env);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-clih-"));
  h = await makeHookScripts("hooks", scratch);
  env = { BERTH_SOCKET: join(scratch, "berth.sock"), BERTH_NAMESPACE: "clih" };
  daemon = startBerth(["serve", "--default-network", "none", "--state-dir", join(scratch, "state"), "--cgroup-parent", `/berth-${prefix}`], env);
  await waitForOutput(daemon, /^berth: serving on (.+)$/m);
});

afterAll(async () => {
  if (daemon !== undefined && daemon.process.exitCode === null) {
    const ids = (await cli("ps", "--all", "--quiet")).stdout.split("\n").filter((l) => l.startsWith(prefix));
    if (ids.length > 0) await cli("rm", "-f", ...ids);
    daemon.process.kill("SIGTERM");
    await daemon.exited;
  }
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
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
