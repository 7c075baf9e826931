// The plan of the fault test (fault.test.ts): what each of its containers
// runs, how each of its runs may end, and what the test asked of it (every
// Create, AddProcess, Start, Stop and Restart, with how the call ended), so
// that the checks (fault-checks.ts) can hold every state and event to it.
import type { Container } from "../../src/client/types.js";
import { isBerthError } from "../../src/errors/berth-error.js";

export const CONTAINERS = 20;

// Outcome is how a call ended, as far as its caller can tell:
//   - ok: answered OK: it happened;
//   - lost: cut short by the daemon's death: it may or may not have happened;
//   - refused: answered with an error: it did not happen (a Stop or Restart
//     refused may still have signalled, see killAttempts);
//   - unsent: it never reached a daemon: it did not happen.
export type Outcome = "ok" | "lost" | "refused" | "unsent";

// Kind is what a container's init process does:
//   - exits: exits by itself with its code after a while;
//   - runs: runs on and ignores SIGTERM (as pid 1 without a handler), so
//     only a SIGKILL ends it (137);
//   - traps: runs on and exits with its trap code on SIGTERM.
export type Kind = "exits" | "runs" | "traps";

export interface ExecPlan {
  id: string;
  // code is the exit code it exits with by itself; undefined: it runs on.
  code: number | undefined;
  // tried is set once an AddProcess of it was begun (by one caller only).
  tried?: boolean;
  added?: Outcome;
}

// Control is one Start, Stop or Restart the test made.
export interface Control {
  op: "start" | "stop" | "restart";
  // revision is the container's, read just before the call: the run the
  // call acts on is the one current then (or a later one).
  revision: bigint;
  timeoutSeconds?: number;
  outcome?: Outcome;
  // exitCode and killed are what an answered Stop or Restart said.
  exitCode?: number;
  killed?: boolean;
}

export interface Plan {
  name: string;
  id: string;
  index: number;
  kind: Kind;
  // code: the init exits by itself with it (kind "exits").
  code: number | undefined;
  // trap: the init exits with it on SIGTERM (kind "traps").
  trap: number | undefined;
  // startOnCreate false: created with start: false, started by a Start.
  startOnCreate: boolean;
  execs: ExecPlan[];
  created?: Outcome;
  controls: Control[];
  // deletedAt is the revision the final force Delete acted on.
  deletedAt?: bigint;
}

// Execs a container may be given in all, across its runs.
const MAX_EXECS = 8;

export function plans(id: (name: string) => string): Plan[] {
  return Array.from({ length: CONTAINERS }, (_, i) => {
    const name = `f${i}`;
    const kind: Kind = i % 2 === 0 ? "exits" : i % 4 === 1 ? "runs" : "traps";
    const p: Plan = {
      name,
      id: id(name),
      index: i,
      kind,
      code: kind === "exits" ? 10 + i : undefined,
      trap: kind === "traps" ? 40 + i : undefined,
      startOnCreate: i % 3 !== 1,
      execs: [],
      controls: [],
    };
    newExecs(p);
    return p;
  });
}

// renew gives a plan whose Create was undone a new id, and forgets what was
// asked of the old one.
export function renew(p: Plan, id: string): void {
  p.id = id;
  p.created = undefined;
  p.execs = [];
  p.controls = [];
  newExecs(p);
}

// newExecs plans a new pair of exec'd processes, one that exits with its own
// code and one that runs on, for a container of a kind that runs on: at
// first, and again after each run started by a Start or Restart.
export function newExecs(p: Plan): void {
  if (p.kind === "exits" || p.execs.length >= MAX_EXECS) return;
  const n = p.execs.length;
  p.execs.push({ id: `short${n}`, code: 30 + p.index }, { id: `long${n + 1}`, code: undefined });
}

// retryExec plans another try of an exec whose AddProcess was refused (its
// container was not running then), under a new id.
export function retryExec(p: Plan, e: ExecPlan): void {
  if (p.execs.length >= MAX_EXECS) return;
  p.execs.push({ id: `${e.code === undefined ? "long" : "short"}${p.execs.length}`, code: e.code });
}

const LOOP = "while true; do sleep 0.2; done";

export function initArgs(p: Plan): string[] {
  const i = p.index;
  // Exits spread over 0.3 s to 2.7 s: some while a daemon runs, some while none does.
  if (p.kind === "exits") return ["sh", "-c", `sleep ${(0.3 + (i % 5) * 0.6).toFixed(1)}; exit ${p.code}`];
  if (p.kind === "traps") return ["sh", "-c", `trap 'exit ${p.trap}' TERM; ${LOOP}`];
  return ["sh", "-c", LOOP];
}

export function execArgs(p: Plan, e: ExecPlan): string[] {
  return e.code === undefined ? ["sh", "-c", LOOP] : ["sh", "-c", `sleep ${(0.2 + (p.index % 4) * 0.5).toFixed(1)}; exit ${e.code}`];
}

// exitCodes lists the codes a run of p may end with: its own, or 137 if a
// kill (a Stop's timeout, a Restart, a force Delete) ended it, or its trap
// code if a Stop's SIGTERM did.
export function exitCodes(p: Plan): number[] {
  return [...(p.code === undefined ? [] : [p.code]), ...(p.trap === undefined ? [] : [p.trap]), 137];
}

// stopCodes lists the codes a Stop of a running p answered OK may report.
// A trap answers SIGTERM within its loop's 0.2 s sleep, well inside a
// timeout of seconds; a timeout of 0 kills at once, before or after it.
export function stopCodes(p: Plan, timeoutSeconds: number): number[] {
  if (p.kind === "traps") return timeoutSeconds > 0 ? [p.trap!] : [p.trap!, 137];
  return p.kind === "exits" ? [p.code!, 137] : [137];
}

// stopTimeout picks a Stop's timeout from a random u in [0, 1): 0 kills at
// once; the one that runs on gets 1 s (outlived, then killed), the trap 3 s
// (it answers SIGTERM in time).
export function stopTimeout(p: Plan, u: number): number {
  if (u < 0.5) return 0;
  return p.kind === "traps" ? 3 : 1;
}

// killAttempts lists the revisions at which something was asked that may
// end a run by a signal: every Stop and Restart that reached a daemon
// (answered or not), and the final force Delete.
export function killAttempts(p: Plan): bigint[] {
  const out = p.controls.filter((c) => c.op !== "start" && c.outcome !== "unsent").map((c) => c.revision);
  if (p.deletedAt !== undefined) out.push(p.deletedAt);
  return out;
}

// startAttempts lists the revisions at which a Start or Restart may have
// started a run: every one that reached a daemon, but a Start refused (a
// Start that fails leaves the container as it was).
export function startAttempts(p: Plan, op?: Control["op"]): bigint[] {
  return p.controls
    .filter((c) => c.op !== "stop" && (op === undefined || c.op === op) && c.outcome !== "unsent" && !(c.op === "start" && c.outcome === "refused"))
    .map((c) => c.revision);
}

// lastControl is the last Start, Stop or Restart that can have changed the
// container: one never sent, or a Start refused, changed nothing.
export function lastControl(p: Plan): Control | undefined {
  return p.controls.filter((c) => c.outcome !== "unsent" && !(c.op === "start" && c.outcome === "refused")).at(-1);
}

// failures counts why calls failed, for the summary: mostly the kills.
export const failures = new Map<string, number>();

// attempt makes a call and says how it ended, with its answer if OK.
export async function attempt<T>(call: Promise<T>): Promise<{ outcome: Outcome; value?: T }> {
  try {
    return { outcome: "ok", value: await call };
  } catch (err) {
    const why = String((err as Error)?.message ?? err)
      .replace(/fault-[a-z]+-\d+/g, "<id>")
      .slice(0, 120);
    failures.set(why, (failures.get(why) ?? 0) + 1);
    return { outcome: outcomeOf(err) };
  }
}

// outcomeOf tells from a call's error whether it may have happened.
function outcomeOf(err: unknown): Outcome {
  const message = String((err as Error)?.message ?? err);
  if (!isBerthError(err)) return "lost";
  if (isBerthError(err, "unavailable") && message.includes("cannot reach a berth daemon")) return "unsent";
  if (isBerthError(err, "unavailable") || isBerthError(err, "deadline_exceeded") || isBerthError(err, "canceled")) return "lost";
  return "refused";
}

// Snapshot is a container as one answer showed it, to hold to the events.
export interface Snapshot {
  what: string;
  container: Container;
}
