// Lifecycle across daemon crashes: a created container, a stopped one and
// its restart policy survive a SIGKILL of the daemon; a daemon SIGKILLed
// inside Start or Stop comes back with the container in a state it can
// explain, its exit code exact, no event lost or doubled.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { RestartPolicy_Kind, Status } from "../../src/client/types.js";
import { until } from "../fixtures/until.js";
import { builtDist, DaemonProcess, daemonPlace, finish, leftovers, type DaemonPlace } from "./daemon-process.js";
import { describe as show, EventLog } from "./events.js";

const LOOP = ["sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done"];

describe("lifecycle across daemon crashes", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;
  let log = new EventLog();

  beforeAll(async () => {
    place = daemonPlace("lifecrash");
    await builtDist();
  }, 180_000);

  afterEach(async () => {
    await log.unfollow();
    if (daemon !== undefined) {
      const client = await daemon.client();
      for (const c of await client.list()) await client.delete(c.id, { force: true }).catch(() => {});
      await client.close();
      await daemon.kill("SIGTERM");
      daemon = undefined;
    }
    expect(leftovers(place)).toEqual([]);
  });

  afterAll(async () => {
    await finish(place, daemon);
  });

  // restart kills the daemon with SIGKILL and starts another on the same
  // state directory, following its events.
  async function restart(client: Client, failpoint?: string): Promise<Client> {
    await log.unfollow();
    await client.close().catch(() => {});
    await daemon!.kill("SIGKILL");
    daemon = await DaemonProcess.start(place, { failpoint });
    const again = await daemon.client();
    log.follow(again);
    return again;
  }

  async function first(failpoint?: string): Promise<Client> {
    log = new EventLog();
    daemon = await DaemonProcess.start(place, { failpoint });
    const client = await daemon.client();
    log.follow(client);
    return client;
  }

  const ready = (client: Client, id: string, n = 1) =>
    until(
      async () => {
        let count = 0;
        for await (const l of client.logs(id)) if (Buffer.from(l.line).toString().trim() === "ready") count++;
        return count >= n;
      },
      `${id} to be ready`,
      10_000,
    );

  it("a created container is still CREATED after a crash, and starts", async () => {
    const client = await first();
    const id = place.id("created");
    await client.create(id, { process: { args: LOOP }, start: false });
    const again = await restart(client);
    const state = await again.state(id);
    expect([state.status, state.pid, state.revision]).toEqual([Status.CREATED, 0, 1n]);
    expect((await again.start(id)).status).toBe(Status.RUNNING);
    await log.waitFor((events) => events.some((e) => show(e) === `${id}:start-container:init:0`), "the start event");
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`]);
    await again.close();
  });

  it("unless-stopped stays stopped across a daemon crash once stopped; always starts again, as Docker's", async () => {
    const client = await first();
    const unless = place.id("unless");
    const always = place.id("always");
    await client.create(unless, { process: { args: LOOP }, restartPolicy: { kind: RestartPolicy_Kind.UNLESS_STOPPED } });
    await client.create(always, { process: { args: LOOP }, restartPolicy: { kind: RestartPolicy_Kind.ALWAYS } });
    await ready(client, unless);
    await ready(client, always);
    expect((await client.stop(unless)).exitStatus?.exitCode).toBe(42);
    expect((await client.stop(always)).exitStatus?.exitCode).toBe(42);
    const again = await restart(client);
    await until(async () => (await again.state(always)).status === Status.RUNNING, "the always container to start again", 10_000);
    const u = await again.state(unless);
    expect([u.status, u.exitCode]).toEqual([Status.STOPPED, 42]);
    expect(log.of(unless)).toEqual([`${unless}:create:init:0`, `${unless}:start-container:init:0`, `${unless}:exit:init:42`]);
    await again.close();
  });

  it.each(["start:after-runc-create", "start:after-event"])("a daemon killed inside Start at %s comes back stopped with its exact exit, or running, as its events say", async (failpoint) => {
    const client = await first();
    const id = place.id("start");
    await client.create(id, { process: { args: LOOP } });
    await ready(client, id);
    expect((await client.stop(id)).exitStatus?.exitCode).toBe(42);
    await client.close();
    await log.unfollow();
    await daemon!.kill("SIGTERM");
    daemon = await DaemonProcess.start(place, { failpoint });
    const armed = await daemon.client();
    log.follow(armed);
    await expect(armed.start(id)).rejects.toThrow();
    expect((await daemon.exited).signal).toBe("SIGKILL");
    const again = await restart(armed);
    const state = await again.state(id);
    const story = [`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:42`];
    // Killed before the start event, or before the journal wrote it: the
    // run never started, so the container is as it was, the half-made run
    // cleared. Once the event is on disk, the run is adopted.
    if (failpoint === "start:after-runc-create" || state.status === Status.STOPPED) {
      expect([state.status, state.exitCode]).toEqual([Status.STOPPED, 42]);
      await log.waitFor((events) => events.some((e) => show(e) === `${id}:exit:init:42`), "the exit event");
      expect(log.of(id)).toEqual(story);
    } else {
      expect(state.status).toBe(Status.RUNNING);
      await log.waitFor((events) => events.some((e) => show(e) === `${id}:restore:init:0`), "the restore event");
      expect(log.of(id)).toEqual([...story, `${id}:start-container:init:0`, `${id}:restore:init:0`]);
    }
    await again.close();
  });

  it("a daemon killed during a Stop's grace period comes back with the stop done: exit once, no restart", async () => {
    const client = await first();
    const id = place.id("stopping");
    // The process notes TERM and runs on; the daemon dies before the timeout.
    await client.create(id, { process: { args: ["sh", "-c", "trap 'echo term' TERM; echo ready; while true; do sleep 0.1; done"] }, restartPolicy: { kind: RestartPolicy_Kind.UNLESS_STOPPED } });
    await ready(client, id);
    const stopping = client.stop(id, { timeoutSeconds: 30 }).catch((e: unknown) => e);
    await until(
      async () => {
        for await (const l of client.logs(id)) if (Buffer.from(l.line).toString().trim() === "term") return true;
        return false;
      },
      "the stop signal to arrive",
      10_000,
    );
    const again = await restart(client);
    await stopping;
    // The stop was not finished: the container still runs (its stop was
    // never answered), and a new Stop finishes it with one exit event.
    const state = await again.state(id);
    expect(state.status).toBe(Status.RUNNING);
    const stopped = await again.stop(id, { timeoutSeconds: 1 });
    expect([stopped.killed, stopped.exitStatus?.exitCode]).toEqual([true, 137]);
    await log.waitFor((events) => events.some((e) => show(e) === `${id}:exit:init:137`), "the exit event");
    expect(log.of(id).filter((e) => e.includes(":exit:"))).toEqual([`${id}:exit:init:137`]);
    await again.close();
  });
});
