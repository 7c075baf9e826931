// Restart policies against real runc: on-failure stops after its maximum
// with growing intervals, a container a user stops stays stopped, and
// always carries on across a daemon killed with SIGKILL, even one killed in
// the middle of a restart.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import type { Client } from "../../src/client/client.js";
import { identify, probe } from "../../src/engine/process-identity.js";
import { EventType, RestartPolicy_Kind, Status, WaitCondition, type Event } from "../../src/client/types.js";
import { trapsTerm } from "../fixtures/traps-term.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { DaemonProcess, daemonPlace, finish, type DaemonPlace } from "./daemon-process.js";
import { EventLog } from "./events.js";

const at = (e: Event) => timestampMs(e.timestamp!);

describe("restart policies", { timeout: 60_000 }, () => {
  let daemon: TestDaemon;
  let client: Client;
  const log = new EventLog();

  beforeAll(async () => {
    daemon = await startTestDaemon("restart", { serve: false, monitorPollMs: 200 });
    client = await daemon.remote.client(undefined, { namespace: daemon.namespace });
    log.follow(client);
  });

  afterAll(async () => {
    await log.unfollow();
    for (const c of await client.list()) await client.delete(c.id, { force: true }).catch(() => {});
    await daemon.stop();
  });

  it.each([2, 5])("on-failure:%i restarts that many times with growing back-off, then stops; Wait NEXT_EXIT sees the exit after a restart", async (max) => {
    const id = daemon.id("onfail");
    await client.create(id, { process: { args: ["sh", "-c", "sleep 0.1; exit 3"] }, restartPolicy: { kind: RestartPolicy_Kind.ON_FAILURE, maxRetries: max } });
    // While it waits out a back-off, State shows when the restart is due:
    // by restarts done so far, the due time seen.
    const due = new Map<number, number>();
    let watching = true;
    onTestFinished(() => {
      watching = false;
    });
    const watched = (async () => {
      while (watching) {
        const st = await client.state(id);
        if (st.status === Status.RESTARTING && st.nextRestartAt !== undefined) due.set(st.restartCount, timestampMs(st.nextRestartAt));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    expect((await client.wait(id)).exitCode).toBe(3);
    const next = await client.wait(id, { condition: WaitCondition.NEXT_EXIT });
    expect(next.exitCode).toBe(3);
    await log.waitFor((events) => events.filter((e) => e.containerId === id && e.type === EventType.EXIT).length === max + 1, "every exit");
    watching = false;
    await watched;
    // No further restart comes: none is pending (it would be RESTARTING).
    expect((await client.state(id)).status).toBe(Status.STOPPED);
    const mine = log.events.filter((e) => e.containerId === id);
    const runs = Array.from({ length: max }, () => [EventType.EXIT, EventType.RESTART]).flat();
    expect(mine.map((e) => e.type)).toEqual([EventType.CREATE, EventType.START_CONTAINER, ...runs, EventType.EXIT]);
    // From each exit to the restart that follows: at least the back-off
    // (100 ms, doubling), plus the time a restart takes.
    const exitAt = (i: number) => at(mine[2 + 2 * i]!);
    const gaps = Array.from({ length: max }, (_, i) => at(mine[3 + 2 * i]!) - exitAt(i));
    const dueIn = [...due].sort(([a], [b]) => a - b).map(([i, when]) => `${i}: ${when - exitAt(i)}`);
    console.log(`on-failure:${max}: from exit to restart ${gaps.join(" ms, ")} ms; restart due after the exit (by restarts done) ${dueIn.join(" ms, ")} ms`);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(100 * 2 ** i - 5));
    // The back-off itself, as the daemon set it: the gap from exit to
    // restart also holds the restart's own time, which a loaded host makes
    // vary by more than a back-off. The 800 and 1600 ms ones are long
    // enough for State to be seen in them however loaded the host is.
    if (max >= 5) {
      for (const i of [3, 4]) {
        expect(due.has(i), `RESTARTING seen after exit ${i + 1}`).toBe(true);
        expect(due.get(i)! - exitAt(i)).toBeGreaterThanOrEqual(100 * 2 ** i - 10);
        expect(due.get(i)! - exitAt(i)).toBeLessThan(100 * 2 ** i + 200);
      }
    }
    const state = await client.state(id);
    expect(state.status).toBe(Status.STOPPED);
    expect(state.restartCount).toBe(max);
    expect(state.restartPolicy).toMatchObject({ kind: RestartPolicy_Kind.ON_FAILURE, maxRetries: max });
    expect(state.exitCode).toBe(3);
  });

  it("shows RESTARTING with the time of the next run while a restart waits out its back-off, and counts a restart only once it happened", async () => {
    const id = daemon.id("restarting");
    // Runs 1 to 4 exit 3 at once (a counter in the root filesystem, which a
    // restart keeps); run 5 stays up. The fourth back-off is 800 ms.
    const counted = 'n=$(( $(cat /n 2>/dev/null || echo 0) + 1 )); echo $n > /n; [ $n -ge 5 ] && exec sleep 300; exit 3';
    await client.create(id, { process: { args: ["sh", "-c", counted] }, restartPolicy: { kind: RestartPolicy_Kind.ON_FAILURE } });
    const exits = () => log.events.filter((e) => e.containerId === id && e.type === EventType.EXIT);
    await log.waitFor(() => exits().length === 4, "the fourth exit");
    const state = await client.state(id);
    expect(state.status).toBe(Status.RESTARTING);
    expect([state.restartCount, state.exitCode, state.pid]).toEqual([3, 3, 0]);
    expect(state.processes[0]?.status).toBe(Status.STOPPED);
    const dueIn = timestampMs(state.nextRestartAt!) - at(exits()[3]!);
    expect(dueIn).toBeGreaterThanOrEqual(790);
    expect(dueIn).toBeLessThan(1000);
    expect((await client.list({ statuses: [Status.RESTARTING] })).map((c) => c.id)).toContain(id);
    expect((await client.list({ statuses: [Status.STOPPED] })).map((c) => c.id)).not.toContain(id);
    await log.waitFor((events) => events.filter((e) => e.containerId === id && e.type === EventType.RESTART).length === 4, "the fourth restart");
    const running = await client.state(id);
    expect([running.status, running.restartCount, running.nextRestartAt]).toEqual([Status.RUNNING, 4, undefined]);
    await client.signal(id, "KILL");
    expect((await client.wait(id)).exitCode).toBe(137);
    expect((await client.state(id)).status).toBe(Status.STOPPED);
  });

  it("a stop signal during the back-off cancels the restart: STOPPED, and the cancelled restart is not counted; Delete needs no force", async () => {
    const id = daemon.id("cancel");
    const gone = daemon.id("cancel-delete");
    for (const c of [id, gone]) await client.create(c, { process: { args: ["sh", "-c", "exit 3"] }, restartPolicy: { kind: RestartPolicy_Kind.ON_FAILURE } });
    const exits = (c = id) => log.events.filter((e) => e.containerId === c && e.type === EventType.EXIT).length;
    // The third back-off is 400 ms.
    await log.waitFor(() => exits() === 3, "the third exit");
    expect((await client.state(id)).status).toBe(Status.RESTARTING);
    // Refusals name the state the container shows.
    expect(await client.pause(id).catch((e: Error) => e.message)).toMatch(/cannot pause a restarting container/);
    await client.signal(id, "KILL");
    const state = await client.state(id);
    expect([state.status, state.restartCount, state.nextRestartAt, state.exitCode]).toEqual([Status.STOPPED, 2, undefined, 3]);
    // A restart is only ever pending in RESTARTING; a second stop is refused.
    expect((await client.signal(id, "KILL").catch((e: Error) => e.message)) as string).toMatch(/cannot signal a stopped container/);
    await client.delete(id);

    // The other one, restarting all along (its back-offs grow to seconds),
    // is deleted in a back-off without force; no restart follows.
    await waitUntil(async () => (await client.state(gone)).status === Status.RESTARTING && exits(gone) >= 3, `${gone} restarting`);
    const restarts = log.of(gone).filter((e) => e.includes(":restart:")).length;
    expect((await client.delete(gone)).exitCode).toBe(3);
    await log.waitFor((events) => events.some((e) => e.containerId === gone && e.type === EventType.DELETE), "the delete event");
    expect(log.of(gone).filter((e) => e.includes(":restart:"))).toHaveLength(restarts);
  });

  it("restarts unless-stopped after a clean exit, and not once a user stops it", async () => {
    const id = daemon.id("unless");
    await client.create(id, { process: { args: ["sh", "-c", "sleep 0.3"] }, restartPolicy: { kind: RestartPolicy_Kind.UNLESS_STOPPED } });
    await log.waitFor((events) => events.some((e) => e.containerId === id && e.type === EventType.RESTART), "a restart");
    await waitUntil(async () => (await client.state(id)).status === Status.RUNNING, "running again");
    await client.signal(id, "KILL");
    expect((await client.wait(id)).exitCode).toBe(137);
    // Stopped, not RESTARTING: no restart is pending, so none will come.
    const state = await client.state(id);
    expect([state.status, state.nextRestartAt]).toEqual([Status.STOPPED, undefined]);
    expect(state.restartCount).toBe(log.of(id).filter((e) => e.includes(":restart:")).length);
  });

  it("does not restart always when a user stops it, nor on-failure after exit 0", async () => {
    const always = daemon.id("always");
    const clean = daemon.id("clean");
    const trapTerm = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"];
    const created = await client.create(always, { process: { args: trapTerm }, restartPolicy: { kind: RestartPolicy_Kind.ALWAYS } });
    await client.create(clean, { process: { args: ["true"] }, restartPolicy: { kind: RestartPolicy_Kind.ON_FAILURE } });
    await until(() => trapsTerm(created.pid), "the shell to trap SIGTERM");
    await client.signal(always, "TERM");
    expect((await client.wait(always)).exitCode).toBe(0);
    expect((await client.wait(clean)).exitCode).toBe(0);
    // Stopped, not RESTARTING: no restart is pending, so none will come.
    for (const id of [always, clean]) {
      expect((await client.state(id)).status).toBe(Status.STOPPED);
      expect(log.of(id).filter((e) => e.includes(":restart:"))).toEqual([]);
    }
  });
});

describe("restart policies across a daemon killed with SIGKILL", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;
  const log = new EventLog();

  beforeAll(() => {
    place = daemonPlace("restartkill");
  });

  afterAll(async () => {
    await log.unfollow();
    await finish(place, daemon);
  });

  it("always restarts a container that exited while the daemon was down, and one whose restart the crash cut short", async () => {
    // The daemon dies the first time it has created a restarted run, before
    // starting it.
    daemon = await DaemonProcess.start(place, { failpoint: "restart:after-runc-create" });
    let client = await daemon.client();
    log.follow(client);
    const downtime = place.id("downtime");
    const cut = place.id("cut");
    // A restart reuses the root filesystem: the first run leaves a mark, and
    // the runs after it find it and stay up.
    const firstRunExits = (after: string, code: number) => ["sh", "-c", `[ -e /ran ] && exec sleep 300; touch /ran; sleep ${after}; exit ${code}`];
    const downtimeRun = await identify((await client.create(downtime, { process: { args: firstRunExits("1.5", 5) }, restartPolicy: { kind: RestartPolicy_Kind.ALWAYS } })).pid);
    await client.create(cut, { process: { args: firstRunExits("0.3", 6) }, restartPolicy: { kind: RestartPolicy_Kind.ALWAYS } });
    // "cut" exits and its restart kills the daemon; "downtime" exits while
    // no daemon runs.
    expect((await daemon.exited).signal).toBe("SIGKILL");
    await client.close().catch(() => {});
    // Its first run ends (the daemon may or may not have died by then).
    await waitUntil(async () => (await probe(downtimeRun!)).state === "gone", `${downtime}'s first run to end`);

    daemon = await DaemonProcess.start(place);
    client = await daemon.client();
    log.follow(client);
    for (const [id, code] of [[downtime, 5], [cut, 6]] as const) {
      await log.waitFor((events) => events.some((e) => e.containerId === id && e.type === EventType.RESTART), `${id} restarted`);
      await waitUntil(async () => (await client.state(id)).status === Status.RUNNING, `${id} running`);
      const exits = log.of(id).filter((e) => e.includes(":exit:"));
      expect(exits[0]).toBe(`${id}:exit:init:${code}`);
      expect(log.of(id).filter((e) => e.includes(":start-container:"))).toHaveLength(1);
    }
    // "cut" decided one restart before the crash; the next daemon carried
    // out that one, not a second.
    expect((await client.state(cut)).restartCount).toBe(1);
    expect(log.problems).toEqual([]);
    for (const id of [downtime, cut]) {
      await client.signal(id, "KILL");
      await client.wait(id);
      await client.delete(id);
    }
    await client.close();
  });
});

async function waitUntil(pred: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
