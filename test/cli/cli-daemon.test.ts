// The CLI against a real `berth serve`: every command a person at a
// terminal uses, on real runc containers, with exit codes passed through.
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { berth, startBerth, waitForOutput, type RunningCli } from "./berth-cli.js";

const prefix = `cli-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;
const made = new Set<string>();
// The suite's containers live under a cgroup parent of its own.
const cgroupParent = `/berth-${prefix}`;
const cgroupDirsOf = (c: string) =>
  ["/sys/fs/cgroup", ...readdirSync("/sys/fs/cgroup").map((d) => join("/sys/fs/cgroup", d))].map((d) => join(d, cgroupParent, "cli", c)).filter((d) => existsSync(d));

let scratch: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningCli | undefined;

async function serve(): Promise<RunningCli> {
  const cli = startBerth(["serve", "--default-network", "none", "--state-dir", join(scratch, "state"), "--cgroup-parent", cgroupParent], env);
  await waitForOutput(cli, /^berth: serving on (.+)$/m);
  return cli;
}

// run is berth with the suite's socket and namespace; it records the ids it
// creates so afterAll can remove them whatever happened.
function run(...args: string[]) {
  const runAt = args.indexOf("run");
  if (runAt !== -1) made.add(args.slice(runAt + 1).find((a) => a.startsWith(prefix))!);
  return berth(args, env);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-cli-"));
  env = { BERTH_SOCKET: join(scratch, "berth.sock"), BERTH_NAMESPACE: "cli" };
  daemon = await serve();
});

afterAll(async () => {
  if (daemon !== undefined && daemon.process.exitCode === null) {
    if (made.size > 0) await berth(["rm", "-f", ...made], env);
    daemon.process.kill("SIGTERM");
    await daemon.exited;
  }
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
});

describe("berth CLI against berth serve", () => {
  it("runs a detached container that ps lists with its labels", async () => {
    const c = id("ps");
    const started = await run("run", "-d", "--label", "suite=cli", "--memory", "64m", c, "--", "sleep", "300");
    expect(started).toMatchObject({ code: 0, stdout: `${c}\n` });
    const ps = await run("ps", "--label", "suite=cli");
    expect(ps.code).toBe(0);
    expect(ps.stdout).toMatch(/^ID\s+STATUS\s+PID\s+CREATED\s+COMMAND$/m);
    expect(ps.stdout).toMatch(new RegExp(`^${c}\\s+running\\s+\\d+\\s+\\d+s ago\\s+sleep 300$`, "m"));
    // serve --cgroup-parent places the container under <parent>/<namespace>/<id>.
    expect(cgroupDirsOf(c).length).toBeGreaterThan(0);
  });

  it("passes an exec'd process's output and exit code through", async () => {
    const c = id("exec");
    await run("run", "-d", c, "--", "sleep", "300");
    const exec = await run("exec", c, "--id", "e1", "-e", "WHO=berth", "--", "sh", "-c", 'echo "hi $WHO"; echo oops >&2; exit 7');
    expect(exec).toMatchObject({ code: 7, stdout: "hi berth\n", stderr: "oops\n" });
  });

  it("runs in the foreground, exits with the container's code and removes it with --rm", async () => {
    const c = id("fg");
    const result = await run("run", "--rm", c, "sh", "-c", "echo out; exit 3");
    expect(result).toMatchObject({ code: 3, stdout: "out\n" });
    expect((await run("ps", "--all", "--quiet")).stdout).not.toContain(c);
  });

  it("reports stats as JSON and applies update live", async () => {
    const c = id("stats");
    await run("run", "-d", "--memory", "64m", "--pids-limit", "40", c, "--", "sleep", "300");
    const stats = JSON.parse((await run("stats", "--json", c)).stdout);
    expect(stats.memory.limitBytes).toBe(String(64 * 1024 * 1024));
    expect(Number(stats.memory.usageBytes)).toBeGreaterThan(0);
    expect(stats.pids).toMatchObject({ current: "1", limit: "40" });
    expect((await run("update", c, "--memory", "128m")).code).toBe(0);
    expect(JSON.parse((await run("stats", "--json", c)).stdout).memory.limitBytes).toBe(String(128 * 1024 * 1024));
    const top = await run("top", c);
    expect(top.stdout).toMatch(/^\d+\s+\d+\s+\S+\s+init\s+sleep 300$/m);
  });

  it("pauses and resumes", async () => {
    const c = id("pause");
    await run("run", "-d", c, "--", "sleep", "300");
    expect(await run("pause", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
    expect((await run("ps")).stdout).toMatch(new RegExp(`^${c}\\s+paused\\s`, "m"));
    expect(await run("resume", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
    expect((await run("ps")).stdout).toMatch(new RegExp(`^${c}\\s+running\\s`, "m"));
  });

  it("ps lists a container waiting out a restart's back-off as restarting, with its last exit; rm -f ends it", async () => {
    const c = id("restarting");
    expect((await run("run", "-d", "--restart", "on-failure", c, "--", "sh", "-c", "exit 3")).code).toBe(0);
    // The back-off doubles from 100 ms, so ps soon lands inside one.
    const restarting = new RegExp(`^${c}\\s+restarting \\(3, (in \\d+s|now)\\)\\s+-\\s`, "m");
    for (let deadline = Date.now() + 20_000; !restarting.test((await run("ps")).stdout); ) {
      if (Date.now() > deadline) throw new Error("ps never showed the container restarting");
    }
    expect(await run("rm", "-f", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
    expect((await run("ps", "--all", "--quiet")).stdout).not.toContain(c);
  });

  it("kills, waits for the exit code, and deletes", async () => {
    const c = id("kill");
    await run("run", "-d", c, "--", "sleep", "300");
    expect((await run("kill", c, "KILL")).code).toBe(0);
    expect(await run("wait", c)).toMatchObject({ code: 0, stdout: "137\n" });
    expect((await run("ps", "--all")).stdout).toMatch(new RegExp(`^${c}\\s+exited \\(137\\)\\s`, "m"));
    expect(await run("rm", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
    expect((await run("ps", "--all", "--quiet")).stdout).not.toContain(c);
  });

  it("prints one line per event, live and replayed", async () => {
    const c = id("events");
    // --since-seq 0 replays what the journal holds before streaming live,
    // so events of a container made before the stream opened still arrive.
    const live = startBerth(["events", "--since-seq", "0", "--container", c], env);
    try {
      await run("run", c, "--", "sh", "-c", "exit 4");
      await waitForOutput(live, new RegExp(`#\\d+ exit +${c} init pid=\\d+ exit=4$`, "m"));
    } finally {
      live.process.kill("SIGINT");
    }
    expect(await live.exited).toBe(0);
    const replay = await run("events", "--since-seq", "0", "--until", "now", "--container", c);
    expect(replay.code).toBe(0);
    const lines = replay.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[2])).toEqual(["create", "start-container", "exit"]);
    expect(lines[1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z #\\d+ start-container ${c} init pid=\\d+ exit=-$`));
    expect(lines[2]).toMatch(/ exit=4$/);
  });

  it("fails clearly, with not_found's exit code, for an unknown container", async () => {
    const result = await run("stats", id("missing"));
    expect(result.code).toBe(69);
    expect(result.stderr).toBe(`berth: container "${id("missing")}" not found in namespace "cli"\n`);
  });

  it("rejects a bad command line with exit code 2 before calling the daemon", async () => {
    const result = await run("kill");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^berth: kill takes 1 to 2 arguments, got 0/);
  });

  it("refuses a limit that is no usable number, or an authorization rule it cannot read, before serving, naming it", async () => {
    const state = ["--state-dir", join(scratch, "state-limits"), "--socket", join(scratch, "limits.sock")];
    const words = await berth(["serve", ...state, "--max-containers", "many"], env);
    expect(words.code).toBe(2);
    expect(words.stderr).toMatch(/^berth: --max-containers "many" is not allowed: give a whole number from 1 to 2147483647 \(config key limits.max_containers\)/);
    const zero = await berth(["serve", ...state, "--max-event-subscribers", "0"], env);
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toMatch(/--max-event-subscribers "0" is not allowed: give a whole number from 1/);
    const rule = await berth(["serve", ...state, "--authorize", "ci"], env);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/^berth: --authorize "ci" is not allowed: give IDENTITY=NAMESPACE\[,NAMESPACE...\] rules/);
    const identity = await berth(["serve", ...state, "--authorize", "ci=ci"], env);
    expect(identity.code).not.toBe(0);
    expect(identity.stderr).toMatch(/--authorize "ci=ci" is not allowed: .*IDENTITY being cn:<certificate common name> or uri:/);
    expect(existsSync(join(scratch, "limits.sock"))).toBe(false);
  });

  it("stops on SIGTERM with exit 0, leaving containers running for the next daemon", async () => {
    const c = id("survive");
    await run("run", "-d", c, "--", "sleep", "300");
    const pid = Number((await run("ps")).stdout.match(new RegExp(`^${c}\\s+running\\s+(\\d+)`, "m"))![1]);
    daemon!.process.kill("SIGTERM");
    expect(await daemon!.exited).toBe(0);
    expect(() => process.kill(pid, 0)).not.toThrow();
    daemon = await serve();
    expect((await run("ps")).stdout).toMatch(new RegExp(`^${c}\\s+running\\s+${pid}\\s`, "m"));
  });
});
