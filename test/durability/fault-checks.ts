// The checks of the fault test (fault.test.ts) that hold what the daemon
// said and published to the plan (fault-plan.ts): a container's state, as
// any answer showed it, agrees with its events up to that state's revision;
// and a container's events tell a story of runs the plan can explain.
import { EventType, Status, type Container, type Event } from "../../src/client/types.js";
import { describe as show } from "./events.js";
import { exitCodes, killAttempts, startAttempts, type Plan } from "./fault-plan.js";

const RUN_EVENTS = new Set([EventType.START_CONTAINER, EventType.RESTART, EventType.EXIT]);

// disagreement says how a container's state, as an answer showed it,
// disagrees with the events about it up to its revision (each event is one
// change of revision): CREATED has no run, RUNNING's last run has not
// exited, STOPPED's has, with the same code; a process listed as running
// has started and not exited, one stopped has exited with its code. It
// returns undefined when they agree.
export function disagreement(c: Container, events: readonly Event[]): string | undefined {
  const mine = events.filter((e) => e.containerId === c.id && e.revision !== 0n && e.revision <= c.revision);
  if (c.revision !== 0n && mine.at(-1)?.revision !== c.revision) return `no event has its revision ${c.revision}`;
  const last = mine.filter((e) => RUN_EVENTS.has(e.type)).at(-1);
  const lastRun = last === undefined ? "no run" : show(last);
  switch (c.status) {
    case Status.CREATED:
      if (last !== undefined) return `it is CREATED after ${lastRun}`;
      break;
    case Status.RUNNING:
      if (last?.type !== EventType.START_CONTAINER && last?.type !== EventType.RESTART) return `it is RUNNING after ${lastRun}`;
      break;
    case Status.STOPPED:
      if (last?.type !== EventType.EXIT || last.exitCode !== c.exitCode || last.monitorDied !== c.monitorDied) {
        return `it is STOPPED with ${c.exitCode}${c.monitorDied ? " (monitor died)" : ""} after ${lastRun}`;
      }
      break;
    default:
      return `it is ${Status[c.status]}, which nothing here asks for`;
  }
  for (const proc of c.processes) {
    if (proc.id === "init") continue;
    const lastOfProc = mine.filter((e) => e.processId === proc.id).at(-1);
    const seen = lastOfProc === undefined ? "no event" : show(lastOfProc);
    if (proc.status === Status.RUNNING && lastOfProc?.type !== EventType.START_PROCESS) return `process ${proc.id} is RUNNING after ${seen}`;
    if (proc.status === Status.STOPPED && (lastOfProc?.type !== EventType.EXIT_PROCESS || lastOfProc.exitCode !== proc.exitCode)) {
      return `process ${proc.id} is STOPPED with ${proc.exitCode} after ${seen}`;
    }
  }
  return undefined;
}

interface Run {
  opened: Event;
  // execs maps each process started in this run to its exit, once seen.
  execs: Map<string, Event | undefined>;
}

// runProblems reads a deleted container's events as a story of runs and
// lists what in it the plan cannot explain:
//   - create first and once, delete last and once (with the last run's exit
//     code, 0 if it never ran), nothing after;
//   - each start-container or restart opens a run while none is open, and
//     is the Create's own start (the first, right after the create, for a
//     container created to start) or was asked for: a Start or Restart
//     that reached a daemon before it; a restart follows its run's exit;
//   - each exit closes the open run (never an exit without a start) with a
//     code the plan allows, 137 or the trap code only if a Stop, Restart or
//     Delete was asked while that run was current, never monitor-died;
//   - a restore announces a run that is open;
//   - each exec'd process is one the plan made and tried, starts once, in
//     an open run, and exits in that run, before the run's exit, with its
//     own code or 137 (the one that runs on: only 137);
//   - revisions go up by one with each event (a delete restore publishes
//     carries none).
export function runProblems(p: Plan, mine: readonly Event[]): string[] {
  const out: string[] = [];
  const fail = (e: Event, why: string) => out.push(`${show(e)} (revision ${e.revision}): ${why}`);
  const kills = killAttempts(p);
  const starts = startAttempts(p);
  const restarts = startAttempts(p, "restart");
  const execs = new Map(p.execs.map((e) => [e.id, e]));
  const seenExecs = new Set<string>();
  let created = false;
  let deleted = false;
  let revision = 0n;
  let run: Run | undefined;
  let lastExit: Event | undefined;
  let userStarts = 0;
  let userRestarts = 0;
  let previous: Event | undefined;
  for (const e of mine) {
    if (deleted) fail(e, "after the delete");
    if (e.revision !== 0n) {
      if (e.revision !== revision + 1n) fail(e, `revision after ${revision}`);
      revision = e.revision;
    }
    switch (e.type) {
      case EventType.CREATE:
        if (created || previous !== undefined) fail(e, "a second create, or not first");
        created = true;
        break;
      case EventType.START_CONTAINER:
      case EventType.RESTART: {
        if (!created) fail(e, "before the create");
        if (run !== undefined) fail(e, `while the run begun by ${show(run.opened)} is open`);
        const createsStart = e.type === EventType.START_CONTAINER && p.startOnCreate && previous?.type === EventType.CREATE && lastExit === undefined;
        if (!createsStart) {
          userStarts++;
          const asked = starts.filter((r) => r < e.revision).length;
          if (userStarts > asked) fail(e, `start number ${userStarts} not asked for by a Start or Restart (${asked} asked before)`);
        }
        if (e.type === EventType.RESTART) {
          userRestarts++;
          if (userRestarts > restarts.filter((r) => r < e.revision).length) fail(e, "a restart no Restart asked for");
          if (previous?.type !== EventType.EXIT) fail(e, "a restart not right after its run's exit");
        }
        run = { opened: e, execs: new Map() };
        break;
      }
      case EventType.EXIT: {
        if (run === undefined) {
          fail(e, "an exit without a run");
          break;
        }
        if (!exitCodes(p).includes(e.exitCode) || e.monitorDied || e.oomKilled) fail(e, `exit code not one of ${exitCodes(p).join(", ")}`);
        const opened = run.opened.revision;
        if (e.exitCode !== p.code && !kills.some((r) => r >= opened && r < e.revision)) fail(e, `killed, but no Stop, Restart or Delete was asked while its run (from revision ${opened}) was current`);
        for (const [id, exit] of run.execs) if (exit === undefined) fail(e, `before the exit of process ${id} of its run`);
        lastExit = e;
        run = undefined;
        break;
      }
      case EventType.RESTORE:
        if (run === undefined) fail(e, "a restore of no running run");
        break;
      case EventType.START_PROCESS: {
        const plan = execs.get(e.processId);
        if (plan === undefined || plan.tried !== true || plan.added === "refused" || plan.added === "unsent") fail(e, `a process never asked for, or refused (${plan?.added})`);
        if (seenExecs.has(e.processId)) fail(e, "started twice");
        seenExecs.add(e.processId);
        if (run === undefined) fail(e, "in no run");
        else run.execs.set(e.processId, undefined);
        break;
      }
      case EventType.EXIT_PROCESS: {
        const plan = execs.get(e.processId);
        if (run === undefined || !run.execs.has(e.processId) || run.execs.get(e.processId) !== undefined) {
          fail(e, "an exit of no process running in the current run");
          break;
        }
        run.execs.set(e.processId, e);
        const allowed = plan?.code === undefined ? [137] : [plan.code, 137];
        if (!allowed.includes(e.exitCode) || e.monitorDied) fail(e, `exit code not one of ${allowed.join(", ")}`);
        break;
      }
      case EventType.DELETE:
        if (!created) fail(e, "a delete before the create");
        if (run !== undefined) fail(e, `a delete while the run begun by ${show(run.opened)} is open`);
        if (e.exitCode !== (lastExit?.exitCode ?? 0) || e.monitorDied) fail(e, `the last run's exit was ${lastExit === undefined ? "none" : show(lastExit)}`);
        deleted = true;
        break;
      default:
        fail(e, "an event nothing here asks for");
    }
    previous = e;
  }
  if (!deleted) out.push("never deleted");
  if (p.created === "ok" && !created) out.push("created, but no create event");
  for (const e of p.execs) if (e.added === "ok" && !seenExecs.has(e.id)) out.push(`process ${e.id} was added, but never started`);
  return out;
}
