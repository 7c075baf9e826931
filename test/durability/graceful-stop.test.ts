// Stopping the daemon: SIGTERM stops serving and flushes the journal while
// the containers keep running; a daemon started again on the same socket
// takes over, whether the last one stopped cleanly or was SIGKILLed and left
// its socket file behind; a second daemon never steals a live one's socket.
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Status } from "../../src/client/types.js";
import { trapsTerm } from "../fixtures/traps-term.js";
import { until } from "../fixtures/until.js";
import { DaemonProcess, daemonPlace, finish, type DaemonPlace } from "./daemon-process.js";
import { EventLog } from "./events.js";

describe("stopping and starting the daemon", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;
  const log = new EventLog();

  beforeAll(() => {
    place = daemonPlace("stop");
  });

  afterAll(async () => {
    await log.unfollow();
    await finish(place, daemon);
  });

  const runcStatus = (id: string) =>
    (JSON.parse(execFileSync("runc", ["--root", join(place.stateDir, "runc", place.namespace), "state", id], { encoding: "utf8" })) as { status: string }).status;

  // The suite's two containers, deleted by its last test.
  let live: string;
  let quick: string;

  it("SIGTERM stops serving and flushes; the containers run on and the next daemon takes over", async () => {
    daemon = await DaemonProcess.start(place);
    let client = await daemon.client();
    log.follow(client);
    live = place.id("live");
    quick = place.id("quick");
    await client.create(live, { process: { args: ["sh", "-c", "while true; do sleep 0.2; done"] } });
    await client.addProcess(live, "p", { args: ["sh", "-c", "while true; do sleep 0.2; done"] });
    // Exits as the daemon stops (told to, then the daemon at once, without
    // waiting): reported by one daemon or the next, once either way.
    const q = await client.create(quick, { process: { args: ["sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.1; done"] } });
    await until(() => trapsTerm(q.pid), "the shell to trap SIGTERM");
    await client.signal(quick, "TERM");
    expect(await daemon.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    await log.unfollow();
    await client.close().catch(() => {});
    expect(existsSync(place.socketPath)).toBe(false);
    expect(runcStatus(live)).toBe("running");
    const seenBefore = log.events.length;

    daemon = await DaemonProcess.start(place);
    client = await daemon.client();
    log.follow(client);
    await log.waitFor((events) => events.some((e) => e.containerId === quick && e.type === 4), "the exit of quick");
    await log.waitFor((events) => events.some((e) => e.containerId === live && e.type === 6), "the restore of live");
    expect(log.of(quick).filter((e) => e.includes(":exit:"))).toEqual([`${quick}:exit:init:3`]);
    expect(log.events.length).toBeGreaterThan(seenBefore);
    const state = await client.state(live);
    expect(state.status).toBe(Status.RUNNING);
    expect(state.processes.find((p) => p.id === "p")?.status).toBe(Status.RUNNING);
    expect(log.problems).toEqual([]);
    await client.close();
  });

  it("a daemon SIGKILLed leaves its socket file, which the next one replaces", async () => {
    await log.unfollow();
    await daemon!.kill("SIGKILL");
    expect(lstatSync(place.socketPath).isSocket()).toBe(true);
    daemon = await DaemonProcess.start(place);
    const client = await daemon.client();
    expect((await client.list()).length).toBe(2);
    await client.close();
  });

  it("a second daemon on a live daemon's socket refuses to start", async () => {
    const error = await DaemonProcess.start(place).catch((err: unknown) => err);
    expect(String(error)).toMatch(/another berth daemon \(pid \d+\) is using the state directory/);
    // The first one still serves.
    const client = await daemon!.client();
    expect((await client.list()).length).toBe(2);
    await client.delete(live, { force: true });
    await client.delete(quick, { force: true });
    await client.close();
  });
});
