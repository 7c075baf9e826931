// A Create while the event journal's disk is full: the event stream never
// announces what the caller is then told did not happen. A Create whose
// start-container is published succeeds (the container exists, and its
// record catches up once the disk has room); one that fails publishes no
// start-container, ever, and leaves nothing behind but what crash-safety
// needs until the journal can write again.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

import { afterEach, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { Status } from "../../src/client/types.js";
import { isBerthError } from "../../src/errors/berth-error.js";
import { until } from "../fixtures/until.js";
import { builtDist, DaemonProcess, daemonPlace, finish, leftovers, type DaemonPlace } from "./daemon-process.js";
import { describe as show, EventLog } from "./events.js";

const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"];

describe("a Create while the event journal's disk is full", { timeout: 60_000 }, () => {
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

  it("succeeds once its start-container is published, though the write of that event fails", async () => {
    place = daemonPlace("journalfull");
    log = new EventLog();
    // The journal's second write (the start-container event) and the three
    // retries after it fail with ENOSPC, half written, as a full disk does.
    daemon = await DaemonProcess.start(place, { failpoint: "journal:write@2=ENOSPC/4" });
    const client = await daemon.client();
    log.follow(client);
    const id = place.id("c");
    const created = await client.create(id, { process: { args: SLEEP } });
    expect(created.status).toBe(Status.RUNNING);
    await log.waitFor((events) => events.some((e) => e.containerId === id && show(e).includes(":start-container:")), "the start-container event");
    expect(log.of(id)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`]);
    // The record catches up once the journal writes again, so a crash now
    // keeps the container.
    await until(() => record(id).phase === undefined, "the record to be saved", 10_000);
    await log.unfollow();
    await client.close();
    await daemon.kill("SIGKILL");
    daemon = await DaemonProcess.start(place);
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
});
