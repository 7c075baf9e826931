// Interactive use of the built CLI, as a person at a terminal: `berth exec
// -it` and `berth run -it` driven in a real terminal (tmux: send-keys, then
// capture-pane), detach and `berth attach`, and `run -i` fed from a pipe.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { repeatUntil, until } from "../fixtures/until.js";
import { BERTH_BIN, berth, startBerth, waitForOutput, type RunningCli } from "./berth-cli.js";

const prefix = `clii-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;
// A tmux server of the suite's own, so no other session is touched.
const TMUX = ["-L", prefix];

let scratch: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningCli | undefined;

const tmux = (...args: string[]) => execFileSync("tmux", [...TMUX, ...args], { encoding: "utf8" });
const pane = (session: string) => tmux("capture-pane", "-p", "-t", session);

// waitForPane polls what the terminal shows until it matches.
async function waitForPane(session: string, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  await until(() => pattern.test(pane(session)), () => `${pattern} in the terminal:\n${pane(session)}`, timeoutMs);
}

// inTerminal runs a berth command in a new tmux session of the given size;
// when it ends, its exit code is written to a file (read by exitCodeOf).
function inTerminal(session: string, args: string[], size = { width: 100, height: 30 }): string {
  const codeFile = join(scratch, `${session}.exit`);
  const quoted = [process.execPath, BERTH_BIN, ...args].map((a) => `'${a}'`).join(" ");
  tmux("new-session", "-d", "-s", session, "-x", String(size.width), "-y", String(size.height), "-e", `BERTH_SOCKET=${env["BERTH_SOCKET"]}`, "-e", `BERTH_NAMESPACE=${env["BERTH_NAMESPACE"]}`, `${quoted}; echo $? > ${codeFile}; sleep 60`);
  return codeFile;
}

async function exitCodeOf(codeFile: string, timeoutMs = 15_000): Promise<number> {
  await until(() => existsSync(codeFile) && readFileSync(codeFile, "utf8").trim() !== "", `the command to end within ${timeoutMs} ms`, timeoutMs);
  return Number(readFileSync(codeFile, "utf8").trim());
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-clii-"));
  env = { BERTH_SOCKET: join(scratch, "berth.sock"), BERTH_NAMESPACE: "clii" };
  daemon = startBerth(["serve", "--default-network", "none", "--state-dir", join(scratch, "state")], env);
  await waitForOutput(daemon, /^berth: serving on (.+)$/m);
});

afterAll(async () => {
  try {
    tmux("kill-server");
  } catch {
    // no session was left
  }
  if (daemon !== undefined && daemon.process.exitCode === null) {
    const ids = (await berth(["ps", "-a", "-q"], env)).stdout.split("\n").filter((l) => l.startsWith(prefix));
    if (ids.length > 0) await berth(["rm", "-f", ...ids], env);
    daemon.process.kill("SIGTERM");
    await daemon.exited;
  }
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
});

describe("berth in a terminal", () => {
  it("exec -it gives a shell: commands run, the window size follows the terminal, ^C reaches the shell, its exit code is berth's", { timeout: 60_000 }, async () => {
    const cid = id("exec");
    expect((await berth(["run", "-d", cid, "--", "sleep", "300"], env)).code).toBe(0);
    const code = inTerminal("exec", ["exec", "-it", cid, "sh"]);
    await waitForPane("exec", /^\/ #/m);
    tmux("send-keys", "-t", "exec", "echo hello-$((6*7))", "Enter");
    await waitForPane("exec", /^hello-42$/m);
    tmux("send-keys", "-t", "exec", "stty size", "Enter");
    await waitForPane("exec", /^30 100$/m);
    tmux("resize-window", "-t", "exec", "-x", "120", "-y", "40");
    tmux("send-keys", "-t", "exec", "stty size", "Enter");
    await waitForPane("exec", /^40 120$/m);
    tmux("send-keys", "-t", "exec", "sleep 100", "Enter");
    // ^C only once the sleep runs, so it is the sleep it interrupts.
    await until(async () => /sleep 100/.test((await berth(["top", cid], env)).stdout), "the shell to run sleep 100", 15_000);
    tmux("send-keys", "-t", "exec", "C-c");
    tmux("send-keys", "-t", "exec", "echo after-interrupt", "Enter");
    await waitForPane("exec", /^after-interrupt$/m);
    tmux("send-keys", "-t", "exec", "exit 3", "Enter");
    expect(await exitCodeOf(code)).toBe(3);
  });

  it("run -it, detach with ^P ^Q, attach again and exit", { timeout: 60_000 }, async () => {
    const cid = id("run");
    const first = inTerminal("run", ["run", "-it", cid, "sh"]);
    await waitForPane("run", /^\/ #/m);
    tmux("send-keys", "-t", "run", "echo first-$((1+1))", "Enter");
    await waitForPane("run", /^first-2$/m);
    tmux("send-keys", "-t", "run", "C-p", "C-q");
    await waitForPane("run", /detached from/);
    expect(await exitCodeOf(first)).toBe(0);
    expect((await berth(["ps"], env)).stdout).toMatch(new RegExp(`${cid}\\s+running`));

    const second = inTerminal("attach", ["attach", cid]);
    // Attached once the shell answers: Enter until its prompt comes back
    // (keys sent before the attach is live would only reach the terminal).
    await repeatUntil(() => tmux("send-keys", "-t", "attach", "Enter"), () => /^\/ #/m.test(pane("attach")), "the attach to reach the shell", 15_000, 200);
    tmux("send-keys", "-t", "attach", "echo second-$((2+2))", "Enter");
    await waitForPane("attach", /^second-4$/m);
    tmux("send-keys", "-t", "attach", "exit 6", "Enter");
    expect(await exitCodeOf(second)).toBe(6);
    const logs = await berth(["logs", "--tail", "50", "--timestamps", cid], env);
    expect(logs.stdout).toMatch(/^\S+Z .*first-2/m);
  });

  it("run -i copies a pipe to the process's stdin, keeps stdout and stderr apart, and passes the exit code", { timeout: 30_000 }, async () => {
    const cid = id("pipe");
    const child = spawn(process.execPath, [BERTH_BIN, "run", "--rm", "-i", cid, "--", "sh", "-c", "cat; echo bye >&2; exit 4"], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.stdin.end("line one\nline two\n");
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect([code, out, err]).toEqual([4, "line one\nline two\n", "bye\n"]);
  });
});
