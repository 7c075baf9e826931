// Drives the built CLI (bin/berth.js) as a user would: as a child process,
// with arguments as an array, never through a shell. Nothing here imports
// src/, so the tests exercise exactly what `npm run build` produced.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";

export const BERTH_BIN = fileURLToPath(new URL("../../bin/berth.js", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// berth runs one CLI command to completion; a command still running after
// timeoutMs is killed and the test fails with what it printed so far.
export function berth(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliResult> {
  const child = startBerth(args, env);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.process.kill("SIGKILL");
      reject(new Error(`berth ${args.join(" ")} still running after ${timeoutMs} ms; stdout: ${child.stdout()} stderr: ${child.stderr()}`));
    }, timeoutMs);
    child.process.once("error", reject);
    child.process.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: child.stdout(), stderr: child.stderr() });
    });
  });
}

export interface RunningCli {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  // exited resolves with the exit code once the process has ended.
  exited: Promise<number | null>;
}

// startBerth starts a CLI command that keeps running (serve, events).
export function startBerth(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { process: child, stdout: () => out, stderr: () => err, exited };
}

// waitForOutput polls a running command's stdout until it matches, with a
// deadline, and fails with everything the command printed.
export async function waitForOutput(cli: RunningCli, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = cli.stdout().match(pattern);
    if (match !== null) return match;
    if (cli.process.exitCode !== null || cli.process.signalCode !== null || Date.now() > deadline) {
      throw new Error(`no ${pattern} from berth (exit ${cli.process.exitCode}); stdout: ${cli.stdout()} stderr: ${cli.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ServeDaemon is a suite's own `berth serve`: its scratch folder (the
// socket and state directory are in it), the environment that points the
// CLI at it and at the suite's namespace, and cli to run a command there.
export interface ServeDaemon {
  readonly scratch: string;
  readonly env: NodeJS.ProcessEnv;
  cli(...args: string[]): Promise<CliResult>;
}

// useServeDaemon starts the suite's daemon before its tests (network none,
// containers under the cgroup parent /berth-<prefix>) and, after them,
// removes every container whose id starts with prefix, stops the daemon
// and deletes the scratch folder, whatever the tests left.
export function useServeDaemon(namespace: string, prefix: string): ServeDaemon {
  const state: { scratch: string; env: NodeJS.ProcessEnv; daemon: RunningCli | undefined } = { scratch: "", env: {}, daemon: undefined };
  const cli = (...args: string[]) => berth(args, state.env);
  beforeAll(async () => {
    state.scratch = await mkdtemp(join(tmpdir(), `berth-${namespace}-`));
    state.env = { BERTH_SOCKET: join(state.scratch, "berth.sock"), BERTH_NAMESPACE: namespace };
    state.daemon = startBerth(["serve", "--default-network", "none", "--state-dir", join(state.scratch, "state"), "--cgroup-parent", `/berth-${prefix}`], state.env);
    await waitForOutput(state.daemon, /^berth: serving on (.+)$/m);
  });
  afterAll(async () => {
    const { daemon } = state;
    if (daemon !== undefined && daemon.process.exitCode === null) {
      const ids = (await cli("ps", "--all", "--quiet")).stdout.split("\n").filter((l) => l.startsWith(prefix));
      if (ids.length > 0) await cli("rm", "-f", ...ids);
      daemon.process.kill("SIGTERM");
      await daemon.exited;
    }
    if (state.scratch !== "") await rm(state.scratch, { recursive: true, force: true, maxRetries: 5 });
  });
  return {
    get scratch() {
      return state.scratch;
    },
    get env() {
      return state.env;
    },
    cli,
  };
}
