// hookFailure turns runc's report of a failed hook into an error that says
// which hook failed and how. runc 1.1 says only "error running hook #1:
// error running hook: exit status 3, stdout: ..., stderr: ..."
// (libcontainer/configs/config.go): the index within its stage, never the
// stage nor the path. The stage follows from where runc failed: inside
// "error during container init" it is prestart, createRuntime or
// createContainer (all run before the container's init is ready); after
// it, in runc create, poststart (runc 1.1 runs poststart at the end of
// create); from the container's own output after `runc start`,
// startContainer. When two stages both have a hook of that index, the
// message names both.
//
// A failing hook is FAILED_PRECONDITION: the client's own program said the
// container cannot run (the host is not as the hook needs it, or the hook
// is broken), and retrying the same Create will not help until that
// changes; INTERNAL would blame berth or runc.
import { BerthError, failedPrecondition } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { HookSet, HookStage } from "../spec/hook-spec.js";

// STDERR_SHOWN_CHARS: the end of a hook's stderr a message keeps (a status
// message stays under 1 KiB).
const STDERR_SHOWN_CHARS = 480;

export type HookPoint = "create" | "start";

// hookFailure returns the error for a runc failure caused by a hook, or
// undefined when err is not one.
export function hookFailure(err: unknown, hooks: HookSet | undefined, point: HookPoint): BerthError | undefined {
  if (hooks === undefined) return undefined;
  const text = (err as Error)?.message ?? "";
  const m = /error running hook #(\d+): ([\s\S]*)$/.exec(text.replace(/\\n/g, "\n").replace(/\\t/g, "\t"));
  if (m === null) return undefined;
  const index = Number(m[1]);
  const stages: HookStage[] = point === "start" ? ["startContainer"] : /error during container init/.test(text) ? ["prestart", "createRuntime", "createContainer"] : ["poststart"];
  const candidates = stages.filter((s) => hooks[s].length > index);
  if (candidates.length === 0) return undefined;
  const which = candidates.map((s) => `${s} hook #${index} ${quote(hooks[s][index]!.path)}`).join(" or ");
  const { how, stderr } = describeDetail(m[2]!);
  const tail = stderr === "" ? "" : `; stderr: ${lastChars(stderr.trim(), STDERR_SHOWN_CHARS)}`;
  return failedPrecondition(`${which} failed: ${how}${tail}`);
}

// describeDetail reads the part of runc's message after the index.
function describeDetail(detail: string): { how: string; stderr: string } {
  const run = /^error running hook: ([^,]*), stdout: [\s\S]*?, stderr: ([\s\S]*)$/.exec(detail);
  if (run !== null) {
    const status = /^exit status (\d+)$/.exec(run[1]!);
    return { how: status ? `exited with code ${status[1]}` : run[1]!.replace(/^signal: /, "killed by signal "), stderr: run[2]! };
  }
  const timeout = /^hook ran past specified timeout of ([\d.]+)s/.exec(detail);
  if (timeout !== null) return { how: `ran past its timeout of ${Number(timeout[1])} s and was killed`, stderr: "" };
  // fork/exec PATH: permission denied, and the like.
  return { how: lastChars(detail.trim(), STDERR_SHOWN_CHARS), stderr: "" };
}

function lastChars(text: string, n: number): string {
  return text.length <= n ? text : `…${text.slice(text.length - n)}`;
}

// hookFailureOr returns the hook's error for err if it is one, else err.
export function hookFailureOr(err: unknown, hooks: HookSet | undefined, point: HookPoint): BerthError {
  return hookFailure(err, hooks, point) ?? BerthError.from(err);
}
