// @ts-check
// Child processes for the benchmark, always spawned with an argument array
// (never a shell string), with the least overhead Node offers: runc's own
// time is the floor the other systems are measured against, so the harness
// must not add to it.
import { spawn } from "node:child_process";

/**
 * @typedef {object} RunResult
 * @property {number | null} code the exit code, null when killed by a signal
 * @property {NodeJS.Signals | null} signal
 * @property {string} stdout
 * @property {string} stderr
 */

/**
 * @typedef {object} RunOptions
 * @property {boolean} [captureStdout] collect stdout (default: ignore it)
 * @property {number | "ignore"} [stderr] a file descriptor for stderr, or
 *   "ignore"; by default stderr is collected for error messages. Give a file
 *   when the child leaves a process behind that would hold a pipe open (runc
 *   create: the container inherits runc's stdio).
 * @property {number} [timeoutMs] SIGKILL the child after this long
 * @property {NodeJS.ProcessEnv} [env]
 */

/**
 * run starts file with args and resolves when it exits, whatever its exit code.
 * @param {string} file
 * @param {readonly string[]} args
 * @param {RunOptions} [options]
 * @returns {Promise<RunResult>}
 */
export function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    const stderrMode = options.stderr ?? "pipe";
    const child = spawn(file, args, {
      stdio: ["ignore", options.captureStdout === true ? "pipe" : "ignore", stderrMode],
      ...(options.env !== undefined && { env: options.env }),
    });
    /** @type {Buffer[]} */
    const out = [];
    /** @type {Buffer[]} */
    const err = [];
    child.stdout?.on("data", (chunk) => out.push(chunk));
    child.stderr?.on("data", (chunk) => err.push(chunk));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("error", (error) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(error);
    });
    // "close" waits for the pipes as well as the exit, so output is complete.
    child.once("close", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/**
 * runChecked is run that throws unless the exit code is 0 (or one of
 * okCodes), with the command and its stderr in the message.
 * @param {string} file
 * @param {readonly string[]} args
 * @param {RunOptions & { okCodes?: readonly number[] }} [options]
 * @returns {Promise<RunResult>}
 */
export async function runChecked(file, args, options = {}) {
  const result = await run(file, args, options);
  const ok = options.okCodes ?? [0];
  if (result.code === null || !ok.includes(result.code)) {
    const how = result.code === null ? `was killed by ${result.signal}` : `exited with ${result.code}`;
    throw new Error(`${file} ${args.join(" ")} ${how}: ${result.stderr.trim() || "(no stderr)"}`);
  }
  return result;
}
