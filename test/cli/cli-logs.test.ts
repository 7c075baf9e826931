// berth serve's log on stderr, from the built CLI against real runc: JSON
// lines by default with the container on lifecycle lines, `berth log-level`
// changing the level of the running daemon (debug lines with each call's
// method and code appear, then stop), and --log-format text for a person.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { until } from "../fixtures/until.js";
import { berth, startBerth, waitForOutput, type RunningCli } from "./berth-cli.js";

const prefix = `cli-logs-${process.pid}-${Date.now().toString(36)}`;
let scratch: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningCli | undefined;

function serve(dir: string, ...flags: string[]): RunningCli {
  return startBerth(["serve", "--default-network", "none", "--state-dir", join(dir, "state"), "--cgroup-parent", `/berth-${prefix}`, ...flags], { ...env, BERTH_SOCKET: join(dir, "berth.sock") });
}

async function stop(cli: RunningCli | undefined): Promise<void> {
  if (cli === undefined || cli.process.exitCode !== null) return;
  cli.process.kill("SIGTERM");
  await cli.exited;
}

// jsonLines parses the daemon's stderr, failing on any line that is not JSON.
const jsonLines = (cli: RunningCli) =>
  cli
    .stderr()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-cli-logs-"));
  env = { BERTH_SOCKET: join(scratch, "berth.sock"), BERTH_NAMESPACE: "cli-logs" };
  daemon = serve(scratch);
  await waitForOutput(daemon, /^berth: serving on (.+)$/m);
});

afterAll(async () => {
  await stop(daemon);
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
});

describe("berth serve's log", () => {
  it("is JSON lines on stderr, with the container id and exit code on lifecycle lines", async () => {
    const c = `${prefix}-run`;
    expect((await berth(["run", "--rm", c, "--", "sh", "-c", "exit 4"], env)).code).toBe(4);
    await until(() => jsonLines(daemon!).some((l) => l.container === c && l.msg === "container deleted"), () => `the delete line; stderr: ${daemon!.stderr()}`);
    const lines = jsonLines(daemon!);
    expect(lines.find((l) => l.msg === "serving")).toMatchObject({ level: 30, socket: env.BERTH_SOCKET });
    expect(lines.find((l) => l.container === c && l.msg === "container exited")).toMatchObject({ namespace: "cli-logs", process: "init", exitCode: 4 });
    // Successful calls are debug: none at the default level.
    expect(lines.filter((l) => l.msg === "rpc")).toEqual([]);
  });

  it("berth log-level changes the running daemon's level: debug shows each call's method and code", async () => {
    expect(await berth(["log-level"], env)).toMatchObject({ code: 0, stdout: "info\n" });
    expect(await berth(["log-level", "debug"], env)).toMatchObject({ code: 0, stdout: "debug\n" });
    try {
      expect((await berth(["ps"], env)).code).toBe(0);
      await until(() => jsonLines(daemon!).some((l) => (l.rpc as { method?: string } | undefined)?.method === "List"), () => `a List line; stderr: ${daemon!.stderr()}`);
      expect(jsonLines(daemon!).find((l) => (l.rpc as { method?: string } | undefined)?.method === "List")).toMatchObject({ level: 20, msg: "rpc", rpc: { service: "berth.v1.ContainerService", code: "OK" } });
    } finally {
      expect(await berth(["log-level", "info"], env)).toMatchObject({ code: 0, stdout: "info\n" });
    }
    const count = jsonLines(daemon!).filter((l) => l.msg === "rpc").length;
    expect((await berth(["ps"], env)).code).toBe(0);
    expect(jsonLines(daemon!).filter((l) => l.msg === "rpc").length).toBe(count);
  });

  it("berth log-level refuses an unknown level, naming the allowed ones", async () => {
    const bad = await berth(["log-level", "chatty"], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"chatty" is not a level: give one of trace, debug, info, warn, error, fatal, silent/);
    expect(await berth(["log-level"], env)).toMatchObject({ stdout: "info\n" });
  });

  it("--log-format text writes readable lines, not JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-cli-logs-text-"));
    const text = serve(dir, "--log-format", "text", "--log-level", "debug");
    try {
      await waitForOutput(text, /^berth: serving on (.+)$/m);
      await until(() => /INFO.*serving/.test(text.stderr()), () => `a serving line; stderr: ${text.stderr()}`);
      const line = text.stderr().split("\n").find((l) => l.includes("serving"))!;
      expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: serving/);
      expect(() => JSON.parse(line)).toThrow();
    } finally {
      await stop(text);
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });

  it("refuses an unknown --log-level or --log-format before it starts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-cli-logs-bad-"));
    try {
      const level = await berth(["serve", "--state-dir", join(dir, "state"), "--socket", join(dir, "s.sock"), "--log-level", "loud"]);
      expect(level.code).not.toBe(0);
      expect(level.stderr).toMatch(/--log-level "loud" is not allowed: give one of trace, debug, info, warn, error, fatal, silent/);
      const format = await berth(["serve", "--state-dir", join(dir, "state"), "--socket", join(dir, "s.sock"), "--log-format", "xml"]);
      expect(format.code).not.toBe(0);
      expect(format.stderr).toMatch(/--log-format "xml" is not allowed: give json .* or text/);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
