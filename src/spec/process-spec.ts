import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { OciProcess, OciSpec, OciUser } from "./oci-spec.js";
import {
  ADDITIONAL_GIDS_MAX_ENTRIES,
  CONSOLE_SIZE_MAX,
  checkCount,
  checkExecStrings,
  checkPath,
  checkUserId,
} from "./request-limits.js";
import { DEFAULT_TERM } from "./spec-defaults.js";

// ProcessOptions mirrors berth.v1.ProcessSpec. Empty values ("" cwd, no
// env, a 0x0 console) mean "the default", as in proto3.
export interface ProcessOptions {
  args: readonly string[];
  env?: readonly string[] | undefined;
  cwd?: string | undefined;
  user?: { uid?: number; gid?: number; additionalGids?: readonly number[] } | undefined;
  terminal?: boolean | undefined;
  consoleSize?: { width?: number | undefined; height?: number | undefined } | undefined;
  // stdin keeps the process's stdin open (the monitor's concern, not the spec's).
  stdin?: boolean | undefined;
}

// buildExecProcess returns the process.json for `runc exec --process`: the
// container's process (capabilities, rlimits, env, cwd, user...) with the
// given fields laid over it. terminal and consoleSize belong to the new
// process alone and are never inherited.
export function buildExecProcess(options: ProcessOptions, containerSpec: Pick<OciSpec, "process">): OciProcess {
  return buildProcess(options, containerSpec.process);
}

// buildProcess lays options over base; env entries replace base entries
// with the same key, and a terminal process gets TERM unless it has one.
export function buildProcess(options: ProcessOptions, base: OciProcess): OciProcess {
  checkProcessOptions(options);
  const args = [...options.args];
  const terminal = options.terminal === true;
  let env = mergeEnv(base.env ?? [], options.env ?? []);
  if (terminal && !env.some((entry) => envKey(entry) === "TERM")) env = [...env, DEFAULT_TERM];

  const cwd = options.cwd === undefined || options.cwd === "" ? base.cwd : options.cwd;
  // A deep copy, so that changing the result never changes the container's spec.
  const result: OciProcess = { ...structuredClone(base), args, env, cwd, user: userOf(options.user, base.user), terminal };
  delete result.consoleSize;
  const size = options.consoleSize;
  if (terminal && size?.width && size.height) {
    result.consoleSize = { width: size.width, height: size.height };
  }
  return result;
}

// checkProcessOptions throws INVALID_ARGUMENT unless options describe a
// process runc can start: bounds first (before any work per entry), then
// each field. field names the request's field in messages.
export function checkProcessOptions(options: ProcessOptions, field = "process"): void {
  const args = options.args ?? [];
  const env = options.env ?? [];
  checkExecStrings(field, args, env);
  checkArgs(args, field);
  checkEnv(env, field);
  checkPath(`${field}.cwd`, options.cwd);
  if (options.cwd !== undefined && options.cwd !== "" && !options.cwd.startsWith("/")) {
    throw invalidArgument(`${field}.cwd ${quote(options.cwd)} must be an absolute path inside the container, e.g. "/" or "/app"`);
  }
  const user = options.user;
  if (user !== undefined) {
    checkUserId(`${field}.user.uid`, user.uid);
    checkUserId(`${field}.user.gid`, user.gid);
    const gids = user.additionalGids ?? [];
    checkCount(`${field}.user.additional_gids`, gids.length, ADDITIONAL_GIDS_MAX_ENTRIES);
    gids.forEach((gid, i) => checkUserId(`${field}.user.additional_gids[${i}]`, gid));
  }
  const size = options.consoleSize;
  for (const side of ["width", "height"] as const) {
    const n = size?.[side];
    if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > CONSOLE_SIZE_MAX)) {
      throw invalidArgument(`${field}.console_size.${side} ${n} is out of range: give 1 to ${CONSOLE_SIZE_MAX} (0 for the default)`);
    }
  }
}

// mergeEnv returns base with each override replacing the entry of the same
// key in place, and new keys appended in order. One pass over each list
// with a map by key: a request's env may hold thousands of entries.
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const merged = [...base];
  const at = new Map<string, number>();
  merged.forEach((entry, i) => {
    const key = envKey(entry);
    if (!at.has(key)) at.set(key, i);
  });
  for (const entry of overrides) {
    const key = envKey(entry);
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, merged.length);
      merged.push(entry);
    } else {
      merged[i] = entry;
    }
  }
  return merged;
}

function envKey(entry: string): string {
  const eq = entry.indexOf("=");
  return eq === -1 ? entry : entry.slice(0, eq);
}

function userOf(user: ProcessOptions["user"], base: OciUser): OciUser {
  if (user === undefined) return structuredClone(base);
  const gids = user.additionalGids ?? [];
  return { uid: user.uid ?? 0, gid: user.gid ?? 0, ...(gids.length > 0 && { additionalGids: [...gids] }) };
}

// checkArgs throws INVALID_ARGUMENT unless args names a program to run.
export function checkArgs(args: readonly unknown[] | undefined, field = "process"): string[] {
  if (args === undefined || args.length === 0) {
    throw invalidArgument(`${field}.args is empty: give the program to run, e.g. ["sh", "-c", "..."]`);
  }
  if (args.some((arg) => typeof arg !== "string" || arg.includes("\0"))) {
    throw invalidArgument(`${field}.args must be strings without NUL characters`);
  }
  if (args[0] === "") throw invalidArgument(`${field}.args[0] is empty: it names the program to run, e.g. "sh"`);
  return args as string[];
}

// checkEnv throws INVALID_ARGUMENT unless each entry is KEY=VALUE.
export function checkEnv(env: readonly unknown[], field = "process"): void {
  for (const entry of env) {
    if (typeof entry !== "string" || entry.indexOf("=") < 1 || entry.includes("\0")) {
      throw invalidArgument(`${field}.env entry ${quote(entry)} must look like KEY=VALUE, e.g. "LANG=C.UTF-8"`);
    }
  }
}
