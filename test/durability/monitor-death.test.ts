// A monitor (conmon) killed with SIGKILL never writes an exit file. berth
// must notice, keep the container usable while its process lives, and when
// the process ends report the real exit code if the kernel still holds it,
// else 255 flagged monitorDied, which Wait returns as State shows it: never
// hang (cri-o #3044). Also: a Signal to a container whose exit berth missed
// reconciles from the exit file instead of failing blindly (moby #41227).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EventBus } from "../../src/backend/event-bus.js";
import { LocalClient } from "../../src/client/local-client.js";
import { Status, type Event, type ExitStatus } from "../../src/client/types.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { Engine } from "../../src/engine/engine.js";
import { LivenessPoller, superviseMonitor, UNKNOWN_EXIT_CODE } from "../../src/engine/monitor-liveness.js";
import { identify, probe } from "../../src/engine/process-identity.js";
import { until } from "../fixtures/until.js";
import { daemonPlace, finish, type DaemonPlace } from "./daemon-process.js";
import { describe as show, EventLog } from "./events.js";

const LOOP = (code: number) => ["sh", "-c", `trap 'exit ${code}' TERM; while true; do sleep 0.1; done`];

interface InProcess {
  engine: Engine;
  bus: EventBus;
  client: LocalClient;
  // errors are what the engine reported without throwing.
  errors: string[];
}

async function open(place: DaemonPlace, monitorPollMs: number): Promise<InProcess> {
  const bus = await EventBus.open(join(place.stateDir, "events"));
  const errors: string[] = [];
  const engine = new Engine({ stateDir: place.stateDir, bus, cgroupParent: place.cgroupParent, monitorPollMs, onError: (err) => void errors.push(String(err)) });
  return { engine, bus, client: new LocalClient(engine, place.namespace), errors };
}

async function close(d: InProcess): Promise<void> {
  await d.engine.close();
  await d.bus.close();
}

const pidIn = (path: string) => Number(readFileSync(path, "utf8"));

// expectHonestExit accepts either honest outcome of a process that ended
// after its monitor died: the real code (the kernel still held it, as on a
// host whose init leaves zombies for a while) or the flagged unknown. Wait
// answers both, with the flag, and agrees with the event.
function expectHonestExit(wait: ExitStatus, exit: Event, code: number): void {
  expect({ exitCode: wait.exitCode, monitorDied: wait.monitorDied }).toEqual({ exitCode: exit.exitCode, monitorDied: exit.monitorDied });
  expect(exit.exitCode).toBe(exit.monitorDied ? 255 : code);
}

// monitorErrorOf is the engine's report that a process's monitor died.
const monitorError = (d: InProcess, what: string, conmon: number) => d.errors.some((e) => e.includes(`${what}: its monitor (conmon pid ${conmon}) died`));

describe("a monitor that dies", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let d: InProcess;
  const log = new EventLog();

  beforeAll(async () => {
    place = daemonPlace("monitor");
    d = await open(place, 100);
    log.follow(d.client);
  });

  afterAll(async () => {
    await log.unfollow();
    for (const c of await d.client.list()) await d.client.delete(c.id, { force: true }).catch(() => {});
    await close(d);
    await finish(place);
  });

  it("is noticed; the container stays usable and its exit is reported honestly when it ends", async () => {
    const id = place.id("init");
    await d.client.create(id, { process: { args: LOOP(7) } });
    const conmon = pidIn(join(place.stateDir, "containers", place.namespace, id, "conmon.pid"));
    process.kill(conmon, "SIGKILL");
    await until(() => monitorError(d, `container ${place.namespace}/${id}`, conmon), "the monitor's death to be noticed");
    expect((await d.client.state(id)).status).toBe(Status.RUNNING);
    const waiting = d.client.wait(id);
    await d.client.signal(id, "TERM");
    const wait = await waiting;
    await log.waitFor((events) => events.some((e) => e.containerId === id && e.type === 4), "the exit event");
    const exit = log.events.find((e) => e.containerId === id && e.type === 4)!;
    expectHonestExit(wait, exit, 7);
    console.log(`init whose monitor died: ${show(exit)}`);
    const state = await d.client.state(id);
    expect(state.status).toBe(Status.STOPPED);
    expect(state.monitorDied).toBe(exit.monitorDied);
    await d.client.delete(id);
  });

  it("of an exec'd process is noticed too, and the exec reported honestly", async () => {
    const id = place.id("exec");
    await d.client.create(id, { process: { args: LOOP(0) } });
    await d.client.addProcess(id, "p", { args: LOOP(9) });
    const conmon = pidIn(join(place.stateDir, "containers", place.namespace, id, "exec", "p", "conmon.pid"));
    process.kill(conmon, "SIGKILL");
    await until(() => monitorError(d, `process p of container ${place.namespace}/${id}`, conmon), "the monitor's death to be noticed");
    expect((await d.client.state(id)).processes.find((p) => p.id === "p")?.status).toBe(Status.RUNNING);
    const waiting = d.client.wait(id, { processId: "p" });
    await d.client.signalProcess(id, "p", "TERM");
    const wait = await waiting;
    await log.waitFor((events) => events.some((e) => e.containerId === id && e.type === 8), "the exit-process event");
    expectHonestExit(wait, log.events.find((e) => e.containerId === id && e.type === 8)!, 9);
    await d.client.delete(id, { force: true });
  });

  it("reports 255 flagged monitorDied when the process is gone without a trace", async () => {
    // Processes of this test's own: killed, they are reaped at once, so no
    // zombie keeps an exit code, as under an init that reaps promptly.
    const monitor = spawn("sleep", ["30"]);
    const proc = spawn("sleep", ["30"]);
    const poller = new LivenessPoller(50, () => {});
    const reported: Array<[number, boolean]> = [];
    const errors: unknown[] = [];
    superviseMonitor(
      poller,
      {
        what: "test process",
        monitor: await identify(monitor.pid!),
        process: await identify(proc.pid!),
        exitFile: async () => undefined,
        exited: () => reported.length > 0,
        onExit: (code, monitorDied) => reported.push([code, monitorDied]),
      },
      (err) => errors.push(err),
    );
    monitor.kill("SIGKILL");
    await until(() => errors.length > 0, "the monitor's death to be noticed");
    expect(reported).toEqual([]);
    expect(String(errors[0])).toMatch(/monitor .* died without recording the exit/);
    proc.kill("SIGKILL");
    await until(() => reported.length > 0, "the process's end to be reported");
    poller.close();
    expect(reported).toEqual([[255, true]]);
  });
});

describe("an exit no one could record", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let d: InProcess;
  const log = new EventLog();

  beforeAll(async () => {
    place = daemonPlace("untraced");
    d = await open(place, 60_000);
    log.follow(d.client);
  });

  afterAll(async () => {
    await log.unfollow();
    for (const c of await d.client.list()) await d.client.delete(c.id, { force: true }).catch(() => {});
    await close(d);
    await finish(place);
  });

  it("an exit the monitor could not record: Wait, State, Delete and the DELETE event all say 255 with monitor_died", async () => {
    const id = place.id("untraced");
    const created = await d.client.create(id, { process: { args: LOOP(7) } });
    const c = await d.engine.get(place.namespace, id);
    const conmon = pidIn(join(c.paths.dir, "conmon.pid"));
    // Both die. The liveness poller (too slow to run in this test) would
    // find the process's zombie and its code on this host, so the test
    // reports what it reports when no trace is left, as under an init that
    // reaps at once: 255, flagged.
    const waiting = d.client.wait(id);
    process.kill(conmon, "SIGKILL");
    process.kill(created.pid, "SIGKILL");
    await until(() => c.init.identity !== undefined, "the process's identity");
    for (let deadline = Date.now() + 5000; (await probe(c.init.identity!)).state !== "gone"; ) {
      if (Date.now() > deadline) throw new Error("the container's process did not die");
      await new Promise((r) => setTimeout(r, 10));
    }
    await c.onInitExit(UNKNOWN_EXIT_CODE, { monitorDied: true });
    const wait = await waiting;
    expect({ exitCode: wait.exitCode, monitorDied: wait.monitorDied }).toEqual({ exitCode: 255, monitorDied: true });
    const state = await d.client.state(id);
    expect([state.status, state.exitCode, state.monitorDied]).toEqual([Status.STOPPED, 255, true]);
    const deleted = await d.client.delete(id);
    expect([deleted.exitCode, deleted.monitorDied]).toEqual([255, true]);
    await log.waitFor((events) => events.some((e) => e.containerId === id && e.type === 11), "the delete event");
    expect(log.events.filter((e) => e.containerId === id && (e.type === 4 || e.type === 11)).map(show)).toEqual([
      `${id}:exit:init:255:monitor-died`,
      `${id}:delete:init:255:monitor-died`,
    ]);
  });
});

describe("a signal to a container whose exit was missed", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let d: InProcess;

  beforeAll(async () => {
    place = daemonPlace("reconcile");
    // A poll slower than the test: only the signal can find the exit.
    d = await open(place, 60_000);
  });

  afterAll(async () => {
    for (const c of await d.client.list()) await d.client.delete(c.id, { force: true }).catch(() => {});
    await close(d);
    await finish(place);
  });

  it("reconciles from the exit file, then says the container has exited", async () => {
    const id = place.id("gone");
    const ns = await d.engine.namespace(place.namespace);
    const events = d.client.subscribe({ sinceSequence: d.bus.lastSequence() })[Symbol.asyncIterator]();
    await d.client.create(id, { process: { args: ["sh", "-c", "sleep 0.3; exit 4"] } });
    // The exit watcher misses the exit (as if its event were lost).
    ns.watcher.close();
    await until(() => existsSync(join(ns.ctx.exitDir, id)), "the monitor's exit file");
    expect((await d.client.state(id)).status).toBe(Status.RUNNING);
    const err = await d.client.signal(id, "KILL").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe("failed_precondition");
    expect((err as Error).message).toMatch(/already exited with exit code 4/);
    const state = await d.client.state(id);
    expect([state.status, state.exitCode]).toEqual([Status.STOPPED, 4]);
    expect((await d.client.wait(id)).exitCode).toBe(4);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(show((await events.next()).value as Event));
    await events.return?.();
    expect(seen).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:4`]);
    await ns.watcher.start();
    await d.client.delete(id);
  });
});
