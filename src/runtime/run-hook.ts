// runHook runs one OCI hook as runc's libcontainer/configs Command.Run
// does: the program with exactly its args (argv[0] included) and env,
// the container's state as JSON on stdin, killed with SIGKILL past its
// timeout. berth runs the hooks runc does not (poststop); stdout is
// discarded and the end of stderr kept for the failure's message.
import { loadExeca } from "./lazy-execa.js";

export interface HookProgram {
  path: string;
  args?: string[];
  env?: string[];
  // timeout is in seconds.
  timeout?: number;
}

export type HookOutcome =
  | { ok: true }
  | { ok: false; why: string; stderr: string };

// STDERR_MAX_BYTES: execa kills a program past maxBuffer; a hook that
// writes more than this to stderr is counted as failed for it.
const STDERR_MAX_BYTES = 1024 * 1024;

export async function runHook(hook: HookProgram, state: string, cwd: string): Promise<HookOutcome> {
  const args = hook.args ?? [];
  const result = await (await loadExeca())(hook.path, args.slice(1), {
    ...(args[0] !== undefined && { argv0: args[0] }),
    env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
    extendEnv: false,
    input: state,
    stdout: "ignore",
    cwd,
    reject: false,
    maxBuffer: STDERR_MAX_BYTES,
    ...(hook.timeout !== undefined && { timeout: hook.timeout * 1000 }),
    killSignal: "SIGKILL",
  });
  if (!result.failed) return { ok: true };
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  if (result.timedOut) return { ok: false, why: `ran past its timeout of ${hook.timeout} s and was killed`, stderr };
  if (result.exitCode !== undefined) return { ok: false, why: `exited with code ${result.exitCode}`, stderr };
  if (result.signal !== undefined) return { ok: false, why: `was killed by ${result.signal}`, stderr };
  const code = (result as { code?: string }).code;
  return { ok: false, why: `could not be started (${code ?? result.shortMessage})`, stderr };
}
