// A monitor (conmon) killed with SIGKILL never writes an exit file. berth
// must notice, keep the container usable while its process lives, and when
// the process ends report the real exit code if the kernel still holds it,
// else an exit flagged monitorDied with Wait failing plainly: never hang
// (cri-o #3044). Also: a Signal to a container whose exit berth missed
// reconciles from the exit file instead of failing blindly (moby #41227).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EventBus } from "../../src/backend/event-bus.js";
import { LocalClient } from "../../src/client/local-client.js";
import { Status, type Event } from "../../src/client/types.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { Engine } from "../../src/engine/engine.js";
import { LivenessPoller, superviseMonitor } from "../../src/engine/monitor-liveness.js";
import { identify } from "../../src/engine/process-identity.js";
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

// exitOrMonitorDied accepts either honest outcome of a process that ended
// after its monitor died: the real code (the kernel still held it, as on a
// host whose init leaves zombies for a while) or the flagged unknown.
function expectHonestExit(wait: PromiseSettledResult<{ exitCode: number }>, exit: Event, code: number): void {
  if (exit.monitorDied) {
    expect(exit.exitCode).toBe(255);
    expect(wait.status).toBe("rejected");
    expect(String((wait as PromiseRejectedResult).reason)).toMatch(/monitor \(conmon\) died/);
  } else {
    expect(exit.exitCode).toBe(code);
    expect(wait).toMatchObject({ status: "fulfilled", value: { exitCode: code } });
  }
}

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
    await new Promise((r) => setTimeout(r, 400));
    expect(d.errors.some((e) => e.includes(`container ${place.namespace}/${id}: its monitor (conmon pid ${conmon}) died`))).toBe(true);
    expect((await d.client.state(id)).status).toBe(Status.RUNNING);
    const waiting = d.client.wait(id).then(
      (s) => ({ exitCode: s.exitCode }),
      (err: unknown) => Promise.reject(err),
    );
    await d.client.signal(id, "TERM");
    const wait = (await Promise.allSettled([waiting]))[0]!;
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
    await new Promise((r) => setTimeout(r, 400));
    expect((await d.client.state(id)).processes.find((p) => p.id === "p")?.status).toBe(Status.RUNNING);
    const waiting = d.client.wait(id, { processId: "p" }).then((s) => ({ exitCode: s.exitCode }));
    await d.client.signalProcess(id, "p", "TERM");
    const wait = (await Promise.allSettled([waiting]))[0]!;
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
    await new Promise((r) => setTimeout(r, 300));
    expect(reported).toEqual([]);
    expect(String(errors[0])).toMatch(/monitor .* died without recording the exit/);
    proc.kill("SIGKILL");
    const deadline = Date.now() + 5000;
    while (reported.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    poller.close();
    expect(reported).toEqual([[255, true]]);
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
    await new Promise((r) => setTimeout(r, 800));
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
