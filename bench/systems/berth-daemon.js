// @ts-check
// The berth daemon under test, started from this checkout as
// `node bin/berth.js serve --state-dir <dir> --socket <path>` in its own
// process group, and ready once it prints "berth: serving on <socket>".
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

import { stopChild } from "../lib/daemon-process.js";
import { deferred, withTimeout } from "../lib/wait.js";
import { Unavailable } from "./system.js";

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const READY = "berth: serving on";

export class BerthDaemon {
  /** @type {string} */ stateDir;
  /** @type {string} */ socket;
  /** @type {string | undefined} the phase trace file (serve --trace), if on */ tracePath;
  /** @type {number | undefined} */ pid;
  /** @type {string} */ #entry;
  /** @type {string} */ #logPath;
  /** @type {string[]} */ #serveArgs;
  /** @type {Record<string, string>} */ #env;
  /** @type {string[]} */ #nodeArgs;
  /** @type {import("node:child_process").ChildProcess | undefined} */ #child;
  /** @type {Promise<void> | undefined} */ #exited;

  /**
   * @param {string} dir a private folder: the state directory and the socket
   * @param {boolean} trace whether the daemon writes its phase trace (dir/trace.jsonl)
   * @param {string[]} [serveArgs] more `berth serve` flags (the overhead row's --metrics, --log-level)
   * @param {Record<string, string>} [env] more environment variables (the V8 row's BERTH_V8_DEFAULTS)
   * @param {string[]} [nodeArgs] node's own flags, before bin/berth.js (the V8 row's candidates)
   */
  constructor(dir, trace, serveArgs = [], env = {}, nodeArgs = []) {
    this.stateDir = join(dir, "state");
    this.socket = join(dir, "berth.sock");
    this.tracePath = trace ? join(dir, "trace.jsonl") : undefined;
    this.#logPath = join(dir, "daemon.log");
    this.#serveArgs = serveArgs;
    this.#env = env;
    this.#nodeArgs = nodeArgs;
    this.#entry = new URL("../../bin/berth.js", import.meta.url).pathname;
  }

  async start() {
    if (!existsSync(this.#entry)) throw new Unavailable(`${this.#entry} does not exist yet (the daemon is not built)`);
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const log = createWriteStream(this.#logPath);
    const args = [...this.#nodeArgs, this.#entry, "serve", "--state-dir", this.stateDir, "--socket", this.socket, "--default-network", "none"];
    if (this.tracePath !== undefined) args.push("--trace", this.tracePath);
    args.push(...this.#serveArgs);
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...this.#env },
      detached: true,
    });
    this.#child = child;
    this.pid = child.pid;
    const ready = deferred();
    const exited = deferred();
    this.#exited = exited.promise.then(() => {
      log.end();
    });
    let seen = "";
    child.stdout?.on("data", (/** @type {Buffer} */ chunk) => {
      log.write(chunk);
      if (seen.length < 64 * 1024) {
        seen += chunk.toString("utf8");
        if (seen.includes(READY)) ready.resolve(undefined);
      }
    });
    child.stderr?.on("data", (/** @type {Buffer} */ chunk) => log.write(chunk));
    child.once("exit", (code, signal) => {
      exited.resolve(undefined);
      ready.reject(new Error(`the daemon exited (${signal ?? code}) before it was ready`));
    });
    child.once("error", (err) => {
      exited.resolve(undefined);
      ready.reject(err);
    });
    try {
      await withTimeout(ready.promise, START_TIMEOUT_MS, `the daemon to print "${READY}"`);
    } catch (err) {
      await this.stop();
      throw new Unavailable(`the berth daemon did not start: ${/** @type {Error} */ (err).message}; its output: ${this.logTail()}`);
    }
  }

  /** stop sends SIGTERM, then SIGKILL if the daemon is still up later. */
  async stop() {
    await stopChild(this.#child, this.#exited, STOP_TIMEOUT_MS, "the berth daemon");
  }

  /** logPath is the file the daemon's stdout and stderr (its log lines) go to. */
  get logPath() {
    return this.#logPath;
  }

  logTail() {
    try {
      return readFileSync(this.#logPath, "utf8").trim().split("\n").slice(-8).join(" | ") || "(nothing)";
    } catch {
      return "(no log)";
    }
  }
}
