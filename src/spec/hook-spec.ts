// OCI hooks (runtime-spec config.md "POSIX-platform Hooks"): a Create's
// hooks and those of its oci_spec_json, checked, merged stage by stage and
// split into what runc runs (every stage but poststop, in config.json) and
// what berth runs itself (poststop, after each run; see
// src/engine/poststop-hooks.ts). runc runs poststop only on `runc delete`,
// which berth also calls before each new run, so a poststop hook left in
// config.json would run late, and twice for a run that Delete ends.
import { access, constants, stat } from "node:fs/promises";

import { HOOK_STAGES, type HookStage } from "../api/hook-stages.js";
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { OciHook, OciHooks } from "./oci-spec.js";
import { checkCount, checkExecStrings, checkPath } from "./request-limits.js";
import { checkEnv } from "./process-spec.js";

export { HOOK_STAGES, type HookStage };

// HOOKS_MAX_PER_STAGE: the OCI schema's bound (oci-spec-schema.ts); a
// container with more hooks than that is a configuration gone wrong.
export const HOOKS_MAX_PER_STAGE = 64;
// A hook with no timeout could hold a Create (and the container's queue)
// for ever: runc waits for it without end. 60 s is long for a hook that
// sets up a network or a mount, and a bound berth can promise.
export const HOOK_DEFAULT_TIMEOUT_S = 60;
export const HOOK_MAX_TIMEOUT_S = 3600;

// HookOptions mirrors berth.v1.Hook.
export interface HookOptions {
  path?: string | undefined;
  args?: readonly string[] | undefined;
  env?: readonly string[] | undefined;
  timeoutSeconds?: number | undefined;
}

// HooksOptions mirrors berth.v1.Hooks (proto field names in lowerCamel).
export type HooksOptions = { [S in HookStage]?: readonly HookOptions[] | undefined };

// HookSet is a container's hooks as berth keeps them: every stage present,
// every hook with its timeout.
export type HookSet = Record<HookStage, OciHook[]>;

export function emptyHookSet(): HookSet {
  return { prestart: [], createRuntime: [], createContainer: [], startContainer: [], poststart: [], poststop: [] };
}

export function hasHooks(set: HookSet | undefined): boolean {
  return set !== undefined && HOOK_STAGES.some((s) => set[s].length > 0);
}

// checkHooks bounds and checks a request's hooks (field names the request's
// field, e.g. "hooks") or a spec's (field "oci_spec_json: /hooks"); the
// host is checked apart (checkHooksOnHost), once all are well formed.
export function checkHooks(field: string, hooks: HooksOptions | OciHooks | undefined, json = false): void {
  if (hooks === undefined) return;
  for (const stage of HOOK_STAGES) {
    const list = (hooks as Record<string, readonly (HookOptions | OciHook)[] | undefined>)[stage] ?? [];
    const name = json ? `${field}/${stage}` : `${field}.${snake(stage)}`;
    checkCount(name, list.length, HOOKS_MAX_PER_STAGE);
    list.forEach((hook, i) => checkHook(json ? `${name}/${i}` : `${name}[${i}]`, hook, json));
  }
}

function checkHook(field: string, hook: HookOptions | OciHook, json: boolean): void {
  const path = hook.path;
  const dot = (f: string) => (json ? `${field}/${f}` : `${field}.${f}`);
  checkPath(dot("path"), path ?? "");
  if (path === undefined || !path.startsWith("/")) {
    throw invalidArgument(`${dot("path")} ${quote(path)} must be an absolute path to the hook's program`);
  }
  const args = hook.args ?? [];
  const env = hook.env ?? [];
  checkExecStrings(field, args, env);
  checkEnv(env, field);
  // The kernel takes argv as C strings; Go's exec refuses a NUL in one.
  const withNul = args.findIndex((a) => a.includes("\0"));
  if (withNul >= 0) throw invalidArgument(`${json ? `${field}/args/${withNul}` : `${field}.args[${withNul}]`} contains a NUL character: give arguments without one`);
  const timeout = "timeoutSeconds" in hook ? hook.timeoutSeconds : (hook as OciHook).timeout;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > HOOK_MAX_TIMEOUT_S)) {
    throw invalidArgument(`${dot(json ? "timeout" : "timeout_seconds")} ${timeout} must be a whole number of seconds from 1 to ${HOOK_MAX_TIMEOUT_S}`);
  }
}

// mergeHooks lays a request's hooks after a spec's, stage by stage, each
// hook with a timeout (HOOK_DEFAULT_TIMEOUT_S when it has none). Both must
// have passed checkHooks.
export function mergeHooks(fromSpec: OciHooks | undefined, fromRequest: HooksOptions | undefined): HookSet {
  const set = emptyHookSet();
  for (const stage of HOOK_STAGES) {
    for (const h of fromSpec?.[stage] ?? []) set[stage].push(ociHook(h.path, h.args, h.env, h.timeout));
    for (const h of fromRequest?.[stage] ?? []) set[stage].push(ociHook(h.path ?? "", h.args, h.env, h.timeoutSeconds));
  }
  return set;
}

function ociHook(path: string, args: readonly string[] | undefined, env: readonly string[] | undefined, timeout: number | undefined): OciHook {
  return {
    path,
    ...(args !== undefined && args.length > 0 && { args: [...args] }),
    ...(env !== undefined && env.length > 0 && { env: [...env] }),
    timeout: timeout ?? HOOK_DEFAULT_TIMEOUT_S,
  };
}

// runcHooks is what config.json carries: every stage but poststop, which
// berth runs itself; undefined when there is none.
export function runcHooks(set: HookSet): OciHooks | undefined {
  const { poststop: _, ...rest } = set;
  const kept = Object.fromEntries(Object.entries(rest).filter(([, list]) => list.length > 0)) as OciHooks;
  return Object.keys(kept).length > 0 ? kept : undefined;
}

// checkHooksOnHost throws INVALID_ARGUMENT unless every hook's program is a
// file the daemon can execute. A start_container hook runs inside the
// container's root filesystem, after pivot_root, where only runc can look
// it up; a failure there fails the run (see the engine's hook-failure.ts).
export async function checkHooksOnHost(field: string, set: HookSet, json = false): Promise<void> {
  for (const stage of HOOK_STAGES) {
    if (stage === "startContainer") continue;
    for (let i = 0; i < set[stage].length; i++) {
      const path = set[stage][i]!.path;
      const name = json ? `${field}/${stage}/${i}/path` : `${field}.${snake(stage)}[${i}].path`;
      const info = await stat(path).catch((err: NodeJS.ErrnoException) => err);
      if (info instanceof Error) {
        const missing = info.code === "ENOENT" || info.code === "ENOTDIR";
        throw invalidArgument(`${name} ${quote(path)} ${missing ? "does not exist on the daemon's host" : `cannot be read on the daemon's host (${info.code ?? info.message})`}: give the path of the hook's program`);
      }
      if (!info.isFile()) throw invalidArgument(`${name} ${quote(path)} is not a file: give the path of the hook's program`);
      if (!(await access(path, constants.X_OK).then(() => true, () => false))) {
        throw invalidArgument(`${name} ${quote(path)} is not executable: chmod +x it, or give another program`);
      }
    }
  }
}

// snake names a stage as the proto does (createRuntime: create_runtime).
export function snake(stage: HookStage): string {
  return stage.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
