// berth serve's config file, from the built CLI: `berth config default`
// prints TOML that `berth config check` accepts; a bad key or value stops
// `berth serve` before it starts, naming the key and what it allows; and a
// setting is taken from the file, overridden by its BERTH_* variable, and
// that by its flag (seen through the running daemon: `berth log-level`
// prints the level it runs at, and it serves on the file's socket).
import { spawn } from "node:child_process";
import { request } from "node:http";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { SETTINGS } from "../../src/config/settings.js";
import { BERTH_BIN, berth, startBerth, waitForOutput, type CliResult, type RunningCli } from "./berth-cli.js";

const prefix = `cli-config-${process.pid}-${Date.now().toString(36)}`;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-cli-config-"));
});

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
});

// withStdin runs berth with input on its stdin.
function withStdin(args: string[], input: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// A config file of a daemon's own: its state directory, socket and cgroup
// parent, no network, plus extra lines.
async function configFile(name: string, extra: string): Promise<{ path: string; socket: string; dir: string }> {
  const dir = join(scratch, name);
  const socket = join(dir, "berth.sock");
  const path = join(scratch, `${name}.toml`);
  const text = [`state_dir = ${JSON.stringify(join(dir, "state"))}`, `cgroup_parent = "/berth-${prefix}-${name}"`, "", "[socket]", `path = ${JSON.stringify(socket)}`, "", "[network]", 'default = "none"', "", extra, ""].join("\n");
  await writeFile(path, text);
  return { path, socket, dir };
}

// getMetrics is GET /metrics over the daemon's unix socket.
function getMetrics(socketPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: "/metrics" }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function stop(cli: RunningCli): Promise<void> {
  if (cli.process.exitCode !== null) return;
  cli.process.kill("SIGTERM");
  await cli.exited;
}

describe("berth config", () => {
  it("default prints every setting as TOML that check accepts", async () => {
    const printed = await berth(["config", "default"]);
    expect(printed.code).toBe(0);
    for (const key of ["state_dir", "[socket]", "mode", "[listen]", "[log]", "level", "format", "[network]", "subnet", "bridge", "cgroup_parent", "runtime"]) {
      expect(printed.stdout).toContain(key);
    }
    expect(printed.stdout).toMatch(/^# .*flag --log-level, env BERTH_LOG_LEVEL$/m);
    // Every setting of the table, each under its comment with its flag and
    // variable: the limits, the authorization rules, the listener's TLS
    // files and the registries as much as the log level.
    for (const setting of SETTINGS) {
      const name = setting.key.slice(setting.key.lastIndexOf(".") + 1);
      const at = new RegExp(`^# ${escape(setting.comment)}\\.\n# .*; flag --${setting.flag}, env ${setting.env}\n#? ?${name} = `, "m");
      expect(printed.stdout, setting.key).toMatch(at);
    }
    const checked = await withStdin(["config", "check", "-"], printed.stdout);
    expect(checked).toMatchObject({ code: 0, stdout: expect.stringMatching(/^stdin: OK/) });
  });

  it("check names an unknown key by its dotted name, and a bad value with what is allowed", async () => {
    const typo = await withStdin(["config", "check", "-"], '[log]\nlevle = "debug"\n');
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/unknown key "log.levle": \[log\] takes level, format/);
    const bad = join(scratch, "bad.toml");
    await writeFile(bad, '[socket]\nmode = "rw-"\n');
    const value = await berth(["config", "check", bad]);
    expect(value.code).not.toBe(0);
    expect(value.stderr).toContain(`config ${bad}: socket.mode = "rw-" is not allowed: give octal permission bits`);
    const toml = await withStdin(["config", "check", "-"], "state_dir = \n");
    expect(toml.stderr).toMatch(/not valid TOML: line 1/);
  });
});

describe("berth serve --config", () => {
  it("stops before serving on an unknown key, naming it", async () => {
    const { path, socket } = await configFile("typo", '[log]\nlevel = "info"\nformt = "text"');
    const served = await berth(["serve", "--config", path]);
    expect(served.code).not.toBe(0);
    expect(served.stderr).toMatch(/unknown key "log.formt": \[log\] takes level, format/);
    expect(existsSync(socket)).toBe(false);
  });

  it("stops on a bad authorization rule in the file, naming the key and the rule's form", async () => {
    const { path, socket } = await configFile("rules", '[authorization]\nrules = ["cn:ci=ci", "ci=prod"]');
    const served = await berth(["serve", "--config", path]);
    expect(served.code).not.toBe(0);
    expect(served.stderr).toMatch(/authorization.rules\[1\] = "ci=prod" is not allowed: give IDENTITY=NAMESPACE\[,NAMESPACE...\] rules, IDENTITY being cn:/);
    expect(existsSync(socket)).toBe(false);
  });

  it("stops on a bad value from the environment or a flag, naming where it came from", async () => {
    const { path } = await configFile("badenv", "");
    const env = await berth(["serve", "--config", path], { BERTH_LOG_FORMAT: "xml" });
    expect(env.code).not.toBe(0);
    expect(env.stderr).toMatch(/BERTH_LOG_FORMAT "xml" is not allowed: give json .* or text .*config key log.format/);
    const flag = await berth(["serve", "--config", path, "--socket-mode", "999"]);
    expect(flag.stderr).toMatch(/--socket-mode "999" is not allowed: give octal permission bits/);
    const missing = await berth(["serve", "--config", join(scratch, "none.toml")]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/none.toml: cannot read it/);
  });

  it("takes a setting from the file, BERTH_* over the file, and a flag over both", { timeout: 180_000 }, async () => {
    const { path, socket } = await configFile("levels", '[log]\nlevel = "warn"');
    const cases: Array<{ env: NodeJS.ProcessEnv; flags: string[]; level: string }> = [
      { env: {}, flags: [], level: "warn" },
      { env: { BERTH_LOG_LEVEL: "error" }, flags: [], level: "error" },
      { env: { BERTH_LOG_LEVEL: "error" }, flags: ["--log-level", "debug"], level: "debug" },
    ];
    for (const c of cases) {
      // BERTH_SOCKET is the client's here, as it would be the daemon's.
      const daemon = startBerth(["serve", "--config", path, ...c.flags], { BERTH_SOCKET: "", ...c.env });
      try {
        await waitForOutput(daemon, /^berth: serving on (.+)$/m, 30_000);
        expect(daemon.stdout()).toContain(`serving on ${socket}`);
        expect(await berth(["log-level"], { BERTH_SOCKET: socket })).toMatchObject({ code: 0, stdout: `${c.level}\n` });
      } finally {
        await stop(daemon);
      }
    }
  });

  it("serves /metrics by default, and not when the file, BERTH_METRICS or --metrics turns it off", { timeout: 180_000 }, async () => {
    const { path, socket } = await configFile("metrics", "");
    const off = await configFile("metrics-off", "[metrics]\nenabled = false");
    const cases: Array<{ args: string[]; env: NodeJS.ProcessEnv; socket: string; status: number }> = [
      { args: ["--config", path], env: {}, socket, status: 200 },
      { args: ["--config", off.path], env: {}, socket: off.socket, status: 404 },
      { args: ["--config", path], env: { BERTH_METRICS: "false" }, socket, status: 404 },
      { args: ["--config", off.path, "--metrics", "true"], env: { BERTH_METRICS: "false" }, socket: off.socket, status: 200 },
    ];
    for (const c of cases) {
      const daemon = startBerth(["serve", ...c.args], { BERTH_SOCKET: "", ...c.env });
      try {
        await waitForOutput(daemon, /^berth: serving on (.+)$/m, 30_000);
        const scraped = await getMetrics(c.socket);
        expect({ ...c, status: scraped.status }).toEqual(c);
        if (c.status === 200) expect(scraped.body).toMatch(/^berth_rpcs_total|^# HELP berth_/m);
      } finally {
        await stop(daemon);
      }
    }
  });

  it("reads BERTH_CONFIG when no --config is given", async () => {
    const { path, socket } = await configFile("envfile", '[log]\nlevel = "fatal"');
    const daemon = startBerth(["serve"], { BERTH_CONFIG: path, BERTH_SOCKET: "" });
    try {
      await waitForOutput(daemon, /^berth: serving on (.+)$/m, 30_000);
      expect(await berth(["log-level"], { BERTH_SOCKET: socket })).toMatchObject({ stdout: "fatal\n" });
    } finally {
      await stop(daemon);
    }
  });
});
