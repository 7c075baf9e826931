import { invalidArgument } from "../errors/berth-error.js";
import type { OciProcess, OciSpec, OciUser } from "./oci-spec.js";
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
  const args = checkArgs(options.args);
  const overrides = checkEnv(options.env ?? []);
  const terminal = options.terminal === true;
  let env = mergeEnv(base.env ?? [], overrides);
  if (terminal && !env.some((entry) => envKey(entry) === "TERM")) env = [...env, DEFAULT_TERM];

  const cwd = options.cwd === undefined || options.cwd === "" ? base.cwd : options.cwd;
  if (!cwd.startsWith("/")) {
    throw invalidArgument(`process.cwd ${JSON.stringify(cwd)} must be an absolute path inside the container, e.g. "/" or "/app"`);
  }
  // A deep copy, so that changing the result never changes the container's spec.
  const result: OciProcess = { ...structuredClone(base), args, env, cwd, user: userOf(options.user, base.user), terminal };
  delete result.consoleSize;
  const size = options.consoleSize;
  if (terminal && size?.width && size.height) {
    result.consoleSize = { width: size.width, height: size.height };
  }
  return result;
}

// mergeEnv returns base with each override replacing the entry of the same
// key in place, and new keys appended in order.
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const merged = [...base];
  for (const entry of overrides) {
    const at = merged.findIndex((existing) => envKey(existing) === envKey(entry));
    if (at === -1) merged.push(entry);
    else merged[at] = entry;
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
export function checkArgs(args: readonly unknown[] | undefined): string[] {
  if (args === undefined || args.length === 0) {
    throw invalidArgument('process.args is empty: give the program to run, e.g. ["sh", "-c", "..."]');
  }
  if (args.some((arg) => typeof arg !== "string" || arg.includes("\0"))) {
    throw invalidArgument("process.args must be strings without NUL characters");
  }
  if (args[0] === "") throw invalidArgument('process.args[0] is empty: it names the program to run, e.g. "sh"');
  return args as string[];
}

function checkEnv(env: readonly string[]): string[] {
  for (const entry of env) {
    if (entry.indexOf("=") < 1 || entry.includes("\0")) {
      throw invalidArgument(`process.env entry ${JSON.stringify(entry)} must look like KEY=VALUE, e.g. "LANG=C.UTF-8"`);
    }
  }
  return [...env];
}
