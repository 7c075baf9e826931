// @ts-check
// Facts about processes, read from /proc: memory (RSS, PSS), whether a
// process still lives, and which processes mention a path on their command
// line (how the cleanup finds what the benchmark started, even after a crash).
import { readFileSync, readdirSync } from "node:fs";

/**
 * rssBytes returns VmRSS from /proc/PID/status, or undefined once the process
 * is gone.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function rssBytes(pid) {
  const status = readOrUndefined(`/proc/${pid}/status`);
  const match = status === undefined ? null : /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/**
 * pssBytes returns the proportional set size from /proc/PID/smaps_rollup
 * (shared pages split between the processes that map them), or undefined
 * once the process is gone.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function pssBytes(pid) {
  const rollup = readOrUndefined(`/proc/${pid}/smaps_rollup`);
  const match = rollup === undefined ? null : /^Pss:\s+(\d+) kB$/m.exec(rollup);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/**
 * hasExited tells whether pid is gone or a zombie: a container's init that
 * runc created is reparented to the host's init, which reaps it when it
 * pleases, so a zombie already counts as exited.
 * @param {number} pid
 * @returns {boolean}
 */
export function hasExited(pid) {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return true;
  // The state follows the command name, which is in parentheses and may
  // itself contain spaces or parentheses.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state === "Z" || state === "X";
}

/**
 * @typedef {object} ProcessInfo
 * @property {number} pid
 * @property {number} ppid
 * @property {string} comm
 * @property {string[]} argv
 */

/**
 * listProcesses returns every process the benchmark may read, with its
 * command line.
 * @returns {ProcessInfo[]}
 */
export function listProcesses() {
  /** @type {ProcessInfo[]} */
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = readOrUndefined(`/proc/${name}/cmdline`);
    const stat = readOrUndefined(`/proc/${name}/stat`);
    if (cmdline === undefined || stat === undefined) continue;
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    out.push({ pid: Number(name), ppid, comm, argv: cmdline.split("\0").filter((arg) => arg !== "") });
  }
  return out;
}

/**
 * processesMentioning returns the processes with an argument containing
 * needle (for example the benchmark's private temporary root).
 * @param {string} needle
 * @returns {ProcessInfo[]}
 */
export function processesMentioning(needle) {
  return listProcesses().filter((p) => p.pid !== process.pid && p.argv.some((arg) => arg.includes(needle)));
}

/**
 * @param {string} path
 * @returns {string | undefined}
 */
function readOrUndefined(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
