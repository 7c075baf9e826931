// Create, Delete, AddProcess and restore while the event journal's disk is full: the event
// stream never announces what the caller is then told did not happen. A
// Create whose start-container is published succeeds (the container
// exists, and its record catches up once the disk has room); one that fails
// publishes no start-container, ever, and leaves nothing behind but what
// crash-safety needs until the journal can write again. Likewise a Delete
// whose delete event is published succeeds (the event goes out, and the
// record goes, once the disk has room), and one that fails publishes none;
// an AddProcess likewise. A restore whose journal cannot write adopts
// every process, and never saves a record that forgets one.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

import { afterEach, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { Status, type Event } from "../../src/client/types.js";
import { isBerthError } from "../../src/errors/berth-error.js";
import { repeatUntil, until } from "../fixtures/until.js";
import { builtDist, DaemonProcess, daemonPlace, finish, leftovers, type DaemonPlace } from "./daemon-process.js";
import { describe as show, EventLog } from "./events.js";

const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"];

describe("Create, Delete, AddProcess and restore while the event journal's disk is full", { timeout: 60_000 }, () => {
  let place: DaemonPlace | undefined;
  let daemon: DaemonProcess | undefined;
  let tmpfs: string | undefined;
  // Each test's daemon numbers its events from 1.
  let log = new EventLog();

  // Building the daemon can take longer than a test.
  beforeAll(() => builtDist(), 180_000);

  afterEach(async () => {
    await log.unfollow();
    if (daemon !== undefined && place !== undefined) {
      const client = await daemon.client();
      for (const c of await client.list()) await client.delete(c.id, { force: true }).catch(() => {});
      await client.close();
      await daemon.kill("SIGTERM");
    }
    if (tmpfs !== undefined) execFileSync("umount", [tmpfs]);
    if (place !== undefined) await finish(place);
    place = daemon = tmpfs = undefined;
  });

  const folder = (id: string) => join(place!.stateDir, "containers", place!.namespace, id);
  const record = (id: string) => JSON.parse(readFileSync(join(folder(id), "record.json"), "utf8")) as { phase?: string };

  // started runs a daemon on a fresh state directory (its journal's
  // writes failing as failpoint says) and, unless follow is false, follows
  // its events from the first.
  async function started(failpoint?: string, follow = true): Promise<Client> {
    place = daemonPlace("journalfull");
    log = new EventLog();
    daemon = await DaemonProcess.start(place, failpoint === undefined ? {} : { failpoint });
    const client = await daemon.client();
    if (follow) log.follow(client);
    return client;
  }

  it("succeeds once its start-container is published, though the write of that event fails", async () => {
    // The journal's second write (the start-container event) and the three
    // retries after it fail with ENOSPC, half written, as a full disk does.
    const client = await started("journal:write@2=ENOSPC/4");
    const id = place!.id("c");
    const created = await client.create(id, { process: { args: SLEEP } });
    expect(created.status).toBe(Status.RUNNING);
    await log.waitFor((events) => events.some((e) => e.containerId === id && show(e).includes(":start-container:")), "the start-container event");
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`]);
    // The record catches up once the journal writes again, so a crash now
    // keeps the container.
    await until(() => record(id).phase === undefined, "the record to be saved", 10_000);
    await log.unfollow();
    await client.close();
    await daemon!.kill("SIGKILL");
    daemon = await DaemonProcess.start(place!);
    const again = await daemon.client();
    expect((await again.state(id)).status).toBe(Status.RUNNING);
    await again.close();
  });

  it("fails with RESOURCE_EXHAUSTED before anything runs, and never announces a start", async () => {
    place = daemonPlace("journalfull");
    log = new EventLog();
    tmpfs = join(place.stateDir, "events");
    await mkdir(tmpfs, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", tmpfs]);
    daemon = await DaemonProcess.start(place);
    const client: Client = await daemon.client();
    log.follow(client);
    // Fill the journal's disk: a write takes what fits, then ENOSPC.
    const filler = join(tmpfs, "filler");
    try {
      writeFileSync(filler, Buffer.alloc(1024 * 1024));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
    }
    const id = place.id("c");
    const err = await client.create(id, { process: { args: SLEEP } }).catch((e: unknown) => e);
    expect(isBerthError(err, "resource_exhausted"), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/no space left .*free space there/);
    // Nothing runs and nothing is mounted; the folder keeps only the record
    // that lets a crash still answer the create event with a delete.
    const left = leftovers(place).filter((l) => l !== `mount ${tmpfs}`);
    expect(left.filter((l) => !l.startsWith("container folder"))).toEqual([]);
    if (existsSync(folder(id))) expect(readdirSync(folder(id))).toEqual(["record.json"]);
    expect((await client.list()).map((c) => c.id)).not.toContain(id);

    // Room again: the queued events go out, and the folder goes with them.
    await rm(filler);
    await until(() => !existsSync(folder(id)), "the failed Create's folder to go", 15_000);
    await log.waitFor((events) => events.some((e) => e.containerId === id && show(e).includes(":delete:")), "the delete event");
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:delete:init:0`]);
    expect(leftovers(place).filter((l) => l !== `mount ${tmpfs}`)).toEqual([]);
    // And the daemon works on.
    await client.create(id, { process: { args: ["true"] } });
    expect((await client.wait(id)).exitCode).toBe(0);
    await client.delete(id);
    await client.close();
  });

  // fullJournal starts a daemon whose journal lives on a 256 KiB tmpfs, and
  // returns a function that fills that disk and one that frees it again.
  async function fullJournal(): Promise<{ client: Client; fill: () => void; free: () => Promise<void> }> {
    place = daemonPlace("journalfull");
    log = new EventLog();
    tmpfs = join(place.stateDir, "events");
    await mkdir(tmpfs, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", tmpfs]);
    daemon = await DaemonProcess.start(place);
    const client = await daemon.client();
    log.follow(client);
    const filler = join(tmpfs, "filler");
    return {
      client,
      // A write takes what fits, then ENOSPC.
      fill: () => {
        try {
          writeFileSync(filler, Buffer.alloc(1024 * 1024));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        }
      },
      free: () => rm(filler),
    };
  }

  // jam fills the journal's disk so that its next write fails. A write into
  // the last, partly used page of a segment file still fits on a full
  // tmpfs, so a pad container pauses and resumes until the journal reports
  // that it cannot write.
  async function jam(client: Client, fill: () => void): Promise<void> {
    const pad = place!.id("pad");
    await client.create(pad, { process: { args: SLEEP } });
    fill();
    await repeatUntil(
      async () => {
        await client.pause(pad);
        await client.resume(pad);
      },
      () => /no space left/.test(daemon!.stderr),
      "the journal to find its disk full",
      10_000,
      20,
    );
  }

  const hasEvent = (id: string, type: string) => (events: Event[]) => events.some((e) => e.containerId === id && show(e).includes(`:${type}:`));

  // deleteWhileJammed creates a container, lets it exit and deletes it, on
  // a daemon whose journal fails the write of the delete event (its 4th:
  // create, start-container and exit each get a write of their own, as each
  // waits for the one before) and the `jammed` attempts after it.
  async function deleteWhileJammed(jammed: number): Promise<{ client: Client; id: string }> {
    const client = await started(`journal:write@4=ENOSPC/${jammed}`);
    const id = place!.id("d");
    await client.create(id, { process: { args: ["sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.1; done"] } });
    await log.waitFor(hasEvent(id, "start-container"), "the start-container event");
    await client.signal(id, "TERM");
    await log.waitFor(hasEvent(id, "exit"), "the exit event");
    // The delete event is published; it cannot be written for longer than
    // Delete waits, and Delete succeeds all the same.
    expect((await client.delete(id)).exitCode).toBe(3);
    expect((await client.list()).map((c) => c.id)).not.toContain(id);
    // Not delivered yet: the journal has not written it. The record stays,
    // so a crash now still publishes the delete.
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:3`]);
    expect(readdirSync(folder(id))).toEqual(["record.json"]);
    return { client, id };
  }

  it("Delete succeeds once its delete event is published, though the journal cannot write it yet; the event and the record's removal follow", async () => {
    const { client, id } = await deleteWhileJammed(30);
    // The id stays taken until then, and a Create of it says why.
    const err = await client.create(id, { process: { args: ["true"] } }).catch((e: unknown) => e);
    expect(isBerthError(err, "resource_exhausted"), String(err)).toBe(true);
    await log.waitFor(hasEvent(id, "delete"), "the delete event", 30_000);
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:3`, `${id}:delete:init:3`]);
    await until(() => !existsSync(folder(id)), "the deleted container's record to go", 5_000);
    await client.create(id, { process: { args: ["true"] } });
    expect((await client.wait(id)).exitCode).toBe(0);
    await client.delete(id);
    await client.close();
  }, 60_000);

  it("a daemon killed while a Delete's event waits for the journal publishes that delete once, on restore", async () => {
    const { client, id } = await deleteWhileJammed(10_000);
    await log.unfollow();
    await client.close();
    await daemon!.kill("SIGKILL");
    daemon = await DaemonProcess.start(place!);
    const again = await daemon.client();
    log.follow(again);
    await log.waitFor(hasEvent(id, "delete"), "the delete event");
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:3`, `${id}:delete:init:3`]);
    expect((await again.list()).map((c) => c.id)).not.toContain(id);
    expect(existsSync(folder(id))).toBe(false);
    await again.close();
  });

  it("a Delete that cannot mark its record fails before it publishes anything, and the container stays", async () => {
    const { client, fill, free } = await fullJournal();
    const id = place!.id("d");
    await client.create(id, { process: { args: SLEEP } });
    await log.waitFor(hasEvent(id, "start-container"), "the start-container event");
    await jam(client, fill);
    // The kill's exit event cannot be written, so neither can the record
    // that says the container is being deleted.
    const err = await client.delete(id, { force: true }).catch((e: unknown) => e);
    expect(isBerthError(err, "resource_exhausted"), String(err)).toBe(true);
    const state = await client.state(id);
    expect([state.status, state.exitCode]).toEqual([Status.STOPPED, 137]);
    expect(record(id).phase).toBeUndefined();

    await free();
    await log.waitFor(hasEvent(id, "exit"), "the exit event", 15_000);
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:137`]);
    expect((await client.delete(id)).exitCode).toBe(137);
    await log.waitFor(hasEvent(id, "delete"), "the delete event");
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:137`, `${id}:delete:init:137`]);
    await client.close();
  });

  it("AddProcess fails with RESOURCE_EXHAUSTED before anything runs, and never announces a start-process", async () => {
    const { client, fill, free } = await fullJournal();
    const id = place!.id("x");
    await client.create(id, { process: { args: SLEEP } });
    await log.waitFor(hasEvent(id, "start-container"), "the start-container event");
    await jam(client, fill);
    const marker = `never-run-${process.pid}`;
    const err = await client.addProcess(id, "p", { args: ["sh", "-c", `sleep 60; echo ${marker}`] }).catch((e: unknown) => e);
    expect(isBerthError(err, "resource_exhausted"), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/no space left .*free space there/);
    // Nothing was started: no folder, no process listed, none running.
    expect(existsSync(join(folder(id), "exec", "p"))).toBe(false);
    expect((await client.state(id)).processes.map((x) => x.id)).toEqual(["init"]);
    expect(runningWith(marker)).toEqual([]);

    // Room again: the same call works, and the events tell of that one
    // process only.
    await free();
    const added = await client.addProcess(id, "p", { args: ["sh", "-c", "exit 4"] });
    expect(added.pid).toBeGreaterThan(0);
    expect((await client.wait(id, { processId: "p" })).exitCode).toBe(4);
    await log.waitFor(hasEvent(id, "exit-process"), "the exit-process event");
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:start-process:p:0`, `${id}:exit-process:p:4`]);
    await client.close();
  });

  it("AddProcess succeeds once its start-process is published, though the write of that event fails, and a crash after keeps the process", async () => {
    // create and start-container take a write each; the start-process
    // event's write (the third) and the three retries after it fail.
    const client = await started("journal:write@3=ENOSPC/4");
    const id = place!.id("x");
    await client.create(id, { process: { args: SLEEP } });
    await log.waitFor(hasEvent(id, "start-container"), "the start-container event");
    const added = await client.addProcess(id, "p", { args: SLEEP });
    expect(added.pid).toBeGreaterThan(0);
    expect(daemon!.stderr).toMatch(/no space left/);
    // Answered only once the event is written: it is out already.
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:start-process:p:0`]);
    await log.unfollow();
    await client.close();
    await daemon!.kill("SIGKILL");
    daemon = await DaemonProcess.start(place!);
    const again = await daemon.client();
    const p = (await again.state(id)).processes.find((x) => x.id === "p");
    expect([p?.status, p?.pid]).toEqual([Status.RUNNING, added.pid]);
    await again.close();
  });

  it("a restore whose journal cannot write adopts every exec'd process, and a crash after it forgets none", async () => {
    const client = await started(undefined, false);
    const id = place!.id("r");
    await client.create(id, { process: { args: SLEEP } });
    // "early" exits while no daemon runs, once told to; "late" runs on.
    await client.addProcess(id, "early", { args: ["sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; exit 5"] });
    await client.addProcess(id, "late", { args: SLEEP });
    await client.close();
    await daemon!.kill("SIGKILL");
    writeFileSync(join(folder(id), "bundle", "rootfs", "go"), "");
    await until(() => existsSync(join(folder(id), "exec", "early", "exit", id)), "early's monitor to write its exit file", 10_000);

    // Restore publishes early's exit (the first write, which succeeds) and
    // the restore event, whose write fails, as does every write after it:
    // restore cannot save the record it brought up to date.
    daemon = await DaemonProcess.start(place!, { failpoint: "journal:write@2=ENOSPC/1000000" });
    const jammed = await daemon.client();
    log.follow(jammed);
    await log.waitFor(hasEvent(id, "exit-process"), "early's exit event");
    await until(() => /no space left/.test(daemon!.stderr), "the journal to fail a write", 10_000);
    const restored = await jammed.state(id);
    expect(restored.processes.map((x) => [x.id, x.status, x.exitCode])).toEqual([
      ["init", Status.RUNNING, undefined],
      ["early", Status.STOPPED, 5],
      ["late", Status.RUNNING, undefined],
    ]);
    await log.unfollow();
    await jammed.close();
    await daemon.kill("SIGKILL");

    daemon = await DaemonProcess.start(place!);
    const again = await daemon.client();
    log.follow(again);
    await log.waitFor(hasEvent(id, "restore"), "the restore event");
    const state = await again.state(id);
    expect(state.processes.map((x) => [x.id, x.status, x.exitCode])).toEqual([
      ["init", Status.RUNNING, undefined],
      ["early", Status.STOPPED, 5],
      ["late", Status.RUNNING, undefined],
    ]);
    // early's exit was published once; the restore event that was never
    // written is published by the restore that could write it.
    expect(log.of(id)).toEqual([
      `${id}:create:init:0`,
      `${id}:start-container:init:0`,
      `${id}:start-process:early:0`,
      `${id}:start-process:late:0`,
      `${id}:exit-process:early:5`,
      `${id}:restore:init:0`,
    ]);
    await again.close();
  });

  it("a subscriber that replays while the journal cannot write waits for the events instead of failing", async () => {
    // The first write (the create event's) and seven retries fail.
    const client = await started("journal:write@1=ENOSPC/8", false);
    const id = place!.id("r");
    // Fails once it finds the journal cannot write, leaving its create and
    // delete events to be written when it can.
    await expect(client.create(id, { process: { args: ["true"] }, start: false })).rejects.toThrow(/no space left/);
    const seen: string[] = [];
    const signal = AbortSignal.timeout(20_000);
    for await (const e of client.subscribe({ sinceSequence: 0n, signal })) {
      seen.push(show(e));
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([`${id}:create:init:0`, `${id}:delete:init:0`]);
    // The record goes once its delete is on disk.
    await until(() => !existsSync(folder(id)), "the undone Create's record to go", 10_000);
    await client.close();
  });
});


// runningWith lists the host's processes whose command line holds text.
function runningWith(text: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}
