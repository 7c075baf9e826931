// The fault test of issues 4 and 9: 20 containers, of three kinds (exiting
// on their own with distinct codes; running on and ignoring SIGTERM;
// running on and exiting with a distinct code on SIGTERM), some created to
// start and some created with start: false, the ones that run on given
// exec'd processes (some exiting with distinct codes, some running on).
// Every round Starts, Stops (with a timeout of 0 s, or of seconds: the trap
// answers, the others are killed) and Restarts some of them, and Starts
// again some that it stopped, while Creates and AddProcesses are in flight.
// The daemon, a child process, is killed with SIGKILL at random moments and
// at failpoints inside Create (between the mount and the record, after runc
// start, after the start event), inside Start (after runc create, after the
// start event), AddProcess and record saves, several times, alongside
// Creates that runc fails after conmon started, and through a round whose
// event journal's disk is full for a while.
//
// After every restart each container and process is accounted for with its
// correct exit code (never an invented 137 or 255): a container a Stop
// answered is STOPPED with the code the Stop reported, one a Start answered
// runs (or exited on its own), one whose call a crash cut short is in a
// state its events explain; no folder and no mount is left under the state
// directory but those of the live containers. Every state any answer showed
// agrees with the events up to its revision. A subscriber that resumes from
// its last sequence sees every event exactly once with no gap, and each
// container's events are a story of runs the plan explains (fault-checks.ts:
// each start asked for, each exit after its start, with a code the plan
// allows and 137 only if a kill was asked during that run, each run's exec
// exits before its exit). A Create that failed never had its start
// announced, and at the end nothing is left: no mount, cgroup, monitor,
// runtime state, folder or exit file.
//
// The only fixed waits are the chaos schedule's random delays (when each
// call starts, when the daemon is killed, how long no daemon runs); every
// wait for a condition polls it with a deadline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client, CreateOptions } from "../../src/client/client.js";
import { EventType, Status, type Container, type ExitStatus } from "../../src/client/types.js";
import { until } from "../fixtures/until.js";
import { builtDist, DaemonProcess, daemonPlace, finish, leftovers, type DaemonPlace, type StartOptions } from "./daemon-process.js";
import { describe as show, EventLog } from "./events.js";
import { disagreement, runProblems } from "./fault-checks.js";
import {
  attempt,
  CONTAINERS,
  execArgs,
  exitCodes,
  failures,
  initArgs,
  lastControl,
  newExecs,
  plans,
  renew,
  retryExec,
  stopCodes,
  stopTimeout,
  type Control,
  type Plan,
  type Snapshot,
} from "./fault-plan.js";

// Where each round's daemon kills itself, if the random timer does not
// first: inside Create (between the mount and the record; after runc
// start; after the start event, before the record), inside Start (after
// runc create, before runc start; after the start event, before the
// record), inside AddProcess, and between a durable journal and a record
// (which may be while restoring). One round's journal cannot write for a
// while (ENOSPC, as a full disk, from its 6th write, for 6 attempts) and is
// not killed by a failpoint. The last round is killed only once its calls
// are done, so that what the earlier rounds cut short gets made.
const FAILPOINTS = [
  "",
  "create:after-runc-start@3",
  "create:after-mount@2",
  "start:after-runc-create@1",
  "create:after-start-event@3",
  "journal:write@6=ENOSPC/6",
  "start:after-event@1",
  "exec:after-event@3",
  "record:before-write@12",
  "",
];
const ROUNDS = FAILPOINTS.length;

// Creates that runc fails after conmon started, one of each per round:
// they must fail, leave nothing, and announce no start.
const DOOMED: Array<(round: number) => CreateOptions> = [
  () => ({ process: { args: ["/no/such/program"] } }),
  // Without a mount namespace runc mounts in the host's, then fails.
  () => ({ ociSpecJson: new TextEncoder().encode(JSON.stringify({ process: { args: ["sh", "-c", "true"] }, mounts: [] })) }),
];

// controlShare is the share of the containers given a Start, Stop or
// Restart in a round: more in a round whose failpoint is inside Start, so
// that enough Starts reach it.
function controlShare(failpoint: string): number {
  return failpoint.startsWith("start:") ? 0.6 : 0.3;
}

describe("a daemon SIGKILLed again and again under load", { timeout: 240_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;
  let all: Plan[];
  // undone lists the ids whose Create a crash cut short and restore undid,
  // or that a daemon refused.
  const undone: string[] = [];
  let adopted = 0;
  const log = new EventLog();
  let starts = 0;
  // doomed lists the ids of the Creates runc failed; none may exist.
  const doomed: string[] = [];
  // snapshots are the states answers showed, to hold to the events.
  const snapshots: Snapshot[] = [];
  // fired lists the failpoints that killed their round's daemon.
  const fired: string[] = [];

  beforeAll(async () => {
    place = daemonPlace("fault");
    all = plans((name) => place.id(name));
    // Building the daemon can take longer than the test's own budget.
    await builtDist();
  }, 180_000);

  afterAll(async () => {
    await log.unfollow();
    await finish(place, daemon);
  });

  // start runs a daemon; one killed by its failpoint while restoring (a
  // crash inside restore) is simply started again.
  async function start(options: StartOptions = {}): Promise<{ daemon: DaemonProcess; client: Client }> {
    for (;;) {
      starts++;
      try {
        const d = await DaemonProcess.start(place, options);
        const client = await d.client();
        log.follow(client);
        return { daemon: d, client };
      } catch (err) {
        if (options.failpoint === undefined || options.failpoint === "") throw err;
        fired.push(`${options.failpoint} (restoring)`);
        options = {};
      }
    }
  }

  // check holds every container and process the daemon reports to the plan.
  // A Create cut short either left a container, adopted from now on, or
  // none, and is tried again under a new id; one refused left none.
  async function check(client: Client, final: boolean): Promise<Map<string, Container>> {
    const listed = new Map((await client.list()).map((c) => [c.id, c]));
    for (const id of doomed) expect(listed.has(id), `${id}, whose Create runc failed, exists`).toBe(false);
    for (const p of all) {
      const c = listed.get(p.id);
      if (p.created === "ok") expect(c, `${p.id} was created`).toBeDefined();
      if (p.created === "refused" || p.created === "unsent") expect(c, `${p.id}, whose Create failed, exists`).toBeUndefined();
      if (p.created !== undefined && p.created !== "ok") {
        if (c === undefined) {
          undone.push(p.id);
          renew(p, place.id(p.name));
          continue;
        }
        p.created = "ok";
        adopted++;
      }
      if (c === undefined) continue;
      snapshots.push({ what: "a List", container: c });
      expectExplained(p, c);
      const planned = p.execs.map((e) => e.id);
      for (const proc of c.processes) if (proc.id !== "init") expect(planned, `${p.id}/${proc.id} was never planned`).toContain(proc.id);
      for (const e of p.execs) {
        const proc = c.processes.find((x) => x.id === e.id);
        if (e.added === "ok") expect(proc, `${p.id}/${e.id} was added`).toBeDefined();
        if (e.added !== "ok" && e.added !== "lost") expect(proc, `${p.id}/${e.id} was never added (${e.added})`).toBeUndefined();
        if (proc === undefined) continue;
        if (proc.status === Status.STOPPED) expect(e.code === undefined ? [137] : [e.code, 137], `${p.id}/${e.id} exited with ${proc.exitCode}`).toContain(proc.exitCode);
        else if (final) expect([p.id, e.id, e.code]).toEqual([p.id, e.id, undefined]);
      }
    }
    return listed;
  }

  // agreeWithEvents waits for the subscriber to have every event up to each
  // listed container's revision, then checks that each state agrees with
  // its events. A daemon that its failpoint kills meanwhile (one reached
  // by a record save after restore) leaves the check to the end, where
  // every answer's state is held to every event.
  async function agreeWithEvents(d: DaemonProcess, client: Client, listed: Map<string, Container>): Promise<void> {
    const behind = () => [...listed.values()].filter((c) => !log.events.some((e) => e.containerId === c.id && e.revision >= c.revision));
    let died = false;
    let resumedAt = 0;
    void d.exited.then(() => (died = true));
    await until(
      async () => {
        // A stream that resumes while the journal cannot write fails at once
        // (RESOURCE_EXHAUSTED) instead of waiting: resume it again, as a
        // client would, a little later.
        if (!log.following && !died && Date.now() - resumedAt > 200) {
          resumedAt = Date.now();
          await log.unfollow();
          log.follow(client);
        }
        return died || behind().length === 0;
      },
      () => `the events of every listed container's revision; behind: ${behind().map((c) => `${c.id} ${Status[c.status]} at revision ${c.revision}: ${log.of(c.id).join(" ")}`).join("; ")}; streams ended: ${log.ends.join("; ")}; daemon stderr:\n${d.stderr.slice(0, 3000)}`,
      10_000,
    );
    if (died) return;
    const problems = [...listed.values()].map((c) => [c.id, disagreement(c, log.events)]).filter(([, why]) => why !== undefined);
    expect(problems, problems.map(([id]) => log.of(id!).join("\n")).join("\n\n")).toEqual([]);
  }

  // control reads the container's state, then asks for what moves it on: a
  // CREATED or STOPPED container is started (a STOPPED one sometimes
  // restarted instead), a RUNNING one stopped (or sometimes restarted); now
  // and then one not running is stopped, which changes nothing. u are its
  // random draws. It returns the state the answer showed, if any.
  async function control(client: Client, p: Plan, u: number[]): Promise<Container | undefined> {
    const read = await attempt(client.state(p.id));
    if (read.value === undefined) return undefined;
    const before = read.value;
    snapshots.push({ what: "a State", container: before });
    const running = before.status === Status.RUNNING;
    const op: Control["op"] = running ? (u[0]! < 0.75 ? "stop" : "restart") : u[0]! < 0.8 ? "start" : u[0]! < 0.9 || before.status === Status.CREATED ? "stop" : "restart";
    const ctl: Control = { op, revision: before.revision };
    const story = () => `${p.id} (${p.kind}), ${op} from ${Status[before.status]} at revision ${before.revision}:\n${log.of(p.id).join("\n")}`;
    // An earlier kill cut short may have ended the run already: its exit
    // (137) may not be in when the state is read.
    const killedBefore = p.controls.some((c) => c.op !== "start" && c.outcome !== "ok" && c.outcome !== "unsent");
    p.controls.push(ctl);
    let shown: Container | undefined;
    if (op === "start") {
      const r = await attempt(client.start(p.id));
      ctl.outcome = r.outcome;
      shown = r.value;
    } else {
      ctl.timeoutSeconds = stopTimeout(p, u[1]!);
      const stopped = op === "stop" ? client.stop(p.id, { timeoutSeconds: ctl.timeoutSeconds }) : client.restart(p.id, { timeoutSeconds: ctl.timeoutSeconds });
      const r = await attempt<{ container: Container; killed: boolean; exitStatus?: ExitStatus }>(stopped);
      ctl.outcome = r.outcome;
      shown = r.value?.container;
      ctl.killed = r.value?.killed;
      if (r.value !== undefined && op === "stop" && !running) {
        // Nothing to stop: the answer is the state as it was, unchanged.
        const exit = r.value.exitStatus;
        ctl.exitCode = exit?.exitCode;
        expect([shown?.status, shown?.revision, exit?.exitCode, r.value.killed], story()).toEqual([before.status, before.revision, before.exitCode, false]);
      } else if (r.value !== undefined && op === "stop") {
        const exit = r.value.exitStatus;
        ctl.exitCode = exit?.exitCode;
        // Stopped from RUNNING: the run's own exit, or the kill's, or the trap's.
        expect(exit?.monitorDied, story()).toBe(false);
        expect(stopCodes(p, ctl.timeoutSeconds), story()).toContain(exit?.exitCode);
        expect([shown?.status, shown?.exitCode], story()).toEqual([Status.STOPPED, exit?.exitCode]);
        if (exit?.exitCode === 137 && !r.value.killed) expect(killedBefore, `${story()}\n137, not killed by this Stop`).toBe(true);
        if (p.kind === "traps" && ctl.timeoutSeconds > 0 && !killedBefore) expect([exit?.exitCode, r.value.killed], story()).toEqual([p.trap, false]);
      }
    }
    if (shown !== undefined) {
      snapshots.push({ what: `the ${op}'s answer`, container: shown });
      // A started run runs, unless it already exited on its own.
      if (op !== "stop") {
        const runs = shown.status === Status.RUNNING || (shown.status === Status.STOPPED && shown.exitCode === p.code);
        expect(runs, `${story()}\nanswered ${Status[shown.status]} (${shown.exitCode})`).toBe(true);
        // A new run: new processes for it.
        newExecs(p);
      }
    }
    return shown;
  }

  it("accounts for every container, process and event after each crash, and leaks nothing", async () => {
    const random = seeded(Number(process.env["BERTH_FAULT_SEED"] ?? Date.now() % 100_000));
    const draws = (n: number) => Array.from({ length: n }, random);
    for (let round = 0; round < ROUNDS; round++) {
      const failpoint = FAILPOINTS[round]!;
      const run = await start({ failpoint });
      daemon = run.daemon;
      const client = run.client;
      const listed = await check(client, false);
      await agreeWithEvents(daemon, client, listed);
      // What the crash cut short is cleared: no folder, mount, monitor or
      // runtime state but the live containers'. A container undone while
      // the journal cannot write keeps its record until the journal has
      // written its delete event (a retry away).
      await until(() => leftovers(place, new Set(listed.keys())).length === 0, "restore to clear what the crash cut short", 5_000).catch(() => {});
      expectOnlyLive(place, listed);
      // This round's Creates (and those to try again), AddProcesses into
      // what runs, and Starts, Stops and Restarts, each starting at a random
      // moment of the next 1.5 s.
      const batch = all.slice(0, Math.round(((round + 1) * CONTAINERS) / (ROUNDS - 1))).filter((p) => p.created === undefined);
      const later = (u: number) => new Promise((r) => setTimeout(r, Math.floor(u * 1500)));
      const inStart = failpoint.startsWith("start:");
      const ops: Promise<unknown>[] = batch.map(async (p) => {
        const u = draws(5);
        await later(u[0]!);
        const made = await attempt(client.create(p.id, { process: { args: initArgs(p) }, ...(p.startOnCreate ? {} : { start: false }) }));
        p.created = made.outcome;
        if (made.value === undefined) return;
        snapshots.push({ what: "the Create's answer", container: made.value });
        expect([p.id, made.value.status]).toEqual([p.id, p.startOnCreate ? Status.RUNNING : Status.CREATED]);
        // One created with start: false is started now, or in a later round.
        if (!p.startOnCreate && (inStart || u[1]! < 0.5)) {
          await later(u[2]!);
          if ((await control(client, p, [0, u[3]!]))?.status === Status.RUNNING) await addExecs(client, p);
        } else if (p.startOnCreate) await addExecs(client, p);
      });
      for (const p of all) {
        const c = listed.get(p.id);
        if (batch.includes(p) || p.created !== "ok" || c === undefined) continue;
        const u = draws(8);
        if (c.status === Status.RUNNING) ops.push(later(u[0]!).then(() => addExecs(client, p)));
        if (u[1]! >= controlShare(failpoint)) continue;
        ops.push(
          (async () => {
            await later(u[2]!);
            let shown = await control(client, p, u.slice(3, 5));
            // Some it stopped, it starts again (all, where Start has a failpoint).
            if (shown?.status === Status.STOPPED && lastControl(p)?.op === "stop" && (inStart || u[5]! < 0.5)) {
              await later(u[6]!);
              shown = await control(client, p, [0, u[7]!]);
            }
            if (shown?.status === Status.RUNNING) await addExecs(client, p);
          })(),
        );
      }
      for (const options of DOOMED) {
        const id = place.id("doomed");
        doomed.push(id);
        // At once, not at a random moment: the round's kill would otherwise
        // mostly come first. A kill may still cut it short; it must never
        // succeed.
        ops.push(attempt(client.create(id, options(round))).then((o) => expect(o.outcome, `${id} was created`).not.toBe("ok")));
      }
      // Kill at a random moment while the calls are in flight or soon after
      // they are done, unless the failpoint got there first.
      const settled = Promise.allSettled(ops).then(() => new Promise((r) => setTimeout(r, Math.floor(random() * 800))));
      const last = round === ROUNDS - 1;
      const timer = 500 + Math.floor(random() * 3000);
      await Promise.race([daemon.exited, settled, ...(last ? [] : [new Promise((r) => setTimeout(r, timer))])]);
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) fired.push(failpoint);
      await daemon.kill("SIGKILL");
      for (const r of await Promise.allSettled(ops)) if (r.status === "rejected") throw r.reason;
      await log.unfollow();
      await client.close().catch(() => {});
      // Some exits happen while no daemon runs.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 800)));
    }

    const run = await start();
    daemon = run.daemon;
    const client = run.client;
    // Let every self-exiting process finish, then check the end state.
    await until(async () => {
      const listed = await check(client, false);
      return all.every((p) => {
        const c = listed.get(p.id);
        if (c === undefined) return true;
        if (p.code !== undefined && c.status === Status.RUNNING) return false;
        return p.execs.every((e) => e.code === undefined || c.processes.find((x) => x.id === e.id)?.status !== Status.RUNNING);
      });
    }, "every self-exiting process to finish", 15_000);
    const listed = await check(client, true);
    await agreeWithEvents(daemon, client, listed);
    expectOnlyLive(place, listed);
    const controls = all.flatMap((p) => p.controls);
    const tally = new Map<string, number>();
    for (const c of controls) tally.set(`${c.op} ${c.outcome}`, (tally.get(`${c.op} ${c.outcome}`) ?? 0) + 1);
    console.log(
      `fault test: ${starts} daemon starts; ${listed.size} containers present (of ${CONTAINERS} planned), ` +
        `${[...listed.values()].filter((c) => c.status === Status.RUNNING).length} running, ${[...listed.values()].filter((c) => c.status === Status.CREATED).length} created; ` +
        `of the Creates cut short, ${adopted} left a working container and ${undone.length} were undone; ` +
        `${log.events.filter((e) => e.type === EventType.RESTORE).length} restore, ${log.events.filter((e) => e.type === EventType.START_CONTAINER).length} start-container, ` +
        `${log.events.filter((e) => e.type === EventType.RESTART).length} restart, ${log.events.filter((e) => e.type === EventType.EXIT).length} exit and ` +
        `${log.events.filter((e) => e.type === EventType.EXIT_PROCESS).length} exit-process events so far; ` +
        `failpoints that fired: ${fired.join(", ") || "none"}; event streams cut off while their daemon ran: ${log.ends.filter((why) => !/went away|cannot reach/.test(why)).length}; ` +
        `controls: ${[...tally].map(([k, n]) => `${n}× ${k}`).join(", ")}; calls failed with:\n` +
        [...failures].map(([why, n]) => `  ${n}× ${why}`).join("\n"),
    );

    // Delete everything; the long-running processes end with the kill.
    for (const p of all) p.deletedAt = listed.get(p.id)?.revision;
    await Promise.all([...listed.keys()].map((id) => client.delete(id, { force: true })));
    await log.waitFor((events) => [...listed.keys()].every((id) => events.some((e) => e.containerId === id && e.type === EventType.DELETE)), "every delete");
    expectOnlyLive(place, new Map());
    checkEvents(log, all, starts, [...undone, ...doomed]);
    const disagreements = snapshots.map((s) => [s.what, s.container.id, s.container.revision, disagreement(s.container, log.events)]).filter(([, , , why]) => why !== undefined);
    expect(disagreements, disagreements.map(([, id]) => log.of(id as string).join("\n")).join("\n\n")).toEqual([]);
    // A Create that was undone, or that runc failed, published nothing, or
    // a create then a delete: never a start.
    for (const id of [...undone, ...doomed]) expect([[], [`${id}:create:init:0`, `${id}:delete:init:0`]]).toContainEqual(log.of(id));
    await log.unfollow();
    await client.close();
    await daemon.kill("SIGTERM");
    daemon = undefined;
  });
});

// expectExplained checks a container's state against what was asked of it:
// a Stop answered is STOPPED with the code it reported, a Start answered
// runs (or exited on its own), a container never started is CREATED; a
// call cut short may have happened or not.
function expectExplained(p: Plan, c: Container): void {
  const what = `${p.id} (${p.kind}) is ${Status[c.status]} (${c.exitCode}) after ${p.controls.map((x) => `${x.op}:${x.outcome}`).join(" ") || "no control"}`;
  expect([Status.CREATED, Status.RUNNING, Status.STOPPED], what).toContain(c.status);
  if (c.status === Status.STOPPED) expect([c.monitorDied, exitCodes(p).includes(c.exitCode!)], what).toEqual([false, true]);
  const everStarted = p.startOnCreate || p.controls.some((x) => x.op !== "stop" && x.outcome === "ok");
  if (c.status === Status.CREATED) expect(everStarted, what).toBe(false);
  const last = lastControl(p);
  if (last === undefined) {
    if (!p.startOnCreate) expect(c.status, what).toBe(Status.CREATED);
    else if (c.status === Status.STOPPED) expect(c.exitCode, what).toBe(p.code);
  } else if (last.outcome === "ok") {
    // A Stop of a container never started leaves it CREATED.
    if (last.op === "stop") expect([c.status, c.exitCode], what).toEqual(last.exitCode === undefined ? [Status.CREATED, undefined] : [Status.STOPPED, last.exitCode]);
    else if (c.status === Status.STOPPED) expect(c.exitCode, what).toBe(p.code);
    else expect(c.status, what).toBe(Status.RUNNING);
  }
}

// addExecs adds the container's planned exec'd processes not tried yet; one
// refused (its container was not running then) is planned again under a
// new id, for a later round.
async function addExecs(client: Client, p: Plan): Promise<void> {
  for (const e of [...p.execs]) {
    if (e.tried === true) continue;
    e.tried = true;
    e.added = (await attempt(client.addProcess(p.id, e.id, { args: execArgs(p, e) }))).outcome;
    if (e.added === "refused") retryExec(p, e);
  }
}

// checkEvents checks what the subscriber saw across every daemon: every
// sequence once, in order, and each container's events a story of runs its
// plan explains.
function checkEvents(log: EventLog, all: Plan[], starts: number, gone: string[]): void {
  expect(log.problems.join("\n")).toBe("");
  // One namespace, one subscriber: every sequence, once, in order.
  log.events.forEach((e, i) => {
    if (i > 0) expect(e.sequence).toBe(log.events[i - 1]!.sequence + 1n);
  });
  const known = new Set([...all.map((p) => p.id), ...gone]);
  expect(log.events.filter((e) => !known.has(e.containerId)).map(show)).toEqual([]);
  for (const p of all) {
    const mine = log.events.filter((e) => e.containerId === p.id);
    const story = `${p.id} (${p.kind}, ${p.startOnCreate ? "started by its Create" : "created with start: false"}); ` +
      `asked: ${p.controls.map((c) => `${c.op}@${c.revision}:${c.outcome}${c.exitCode === undefined ? "" : `=${c.exitCode}`}`).join(" ")}; deleted at ${p.deletedAt}\n` +
      mine.map((e) => `${e.revision} ${show(e)}`).join("\n");
    // Never created under this id (a Create undone at the very end): nothing.
    if (p.created === undefined) expect(mine.map(show), story).toEqual([]);
    else expect(runProblems(p, mine), story).toEqual([]);
    expect(mine.filter((e) => e.type === EventType.RESTORE).length, story).toBeLessThanOrEqual(starts);
  }
}

// expectOnlyLive checks that the state directory holds nothing but what
// the listed containers own: no other container folder, mount under the
// state directory, runtime state, exit file, cgroup or monitor.
function expectOnlyLive(place: DaemonPlace, listed: Map<string, Container>): void {
  expect(leftovers(place, new Set(listed.keys()))).toEqual([]);
}

// seeded is a small PRNG (mulberry32), so a failing run can be repeated
// with BERTH_FAULT_SEED.
function seeded(seed: number): () => number {
  console.log(`fault test seed: ${seed} (set BERTH_FAULT_SEED to repeat a run)`);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
