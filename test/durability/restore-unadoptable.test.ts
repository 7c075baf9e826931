// Restore removes every container folder it cannot adopt, whatever is
// wrong with it, and says so in the daemon's log, naming the container: an
// emptied or torn config.json or record, or a folder a crash left half-made.
// Nothing of it stays behind, across any number of restarts, and a
// container the events had announced gets its delete event once.
import { existsSync } from "node:fs";
import { mkdir, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Status } from "../../src/client/types.js";
import { until } from "../fixtures/until.js";
import { builtDist, DaemonProcess, daemonPlace, finish, leftovers, type DaemonPlace } from "./daemon-process.js";
import { describe as show, readEvents } from "./events.js";

const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"];

describe("restore and a container folder it cannot adopt", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    place = daemonPlace("unadoptable");
    // Building the daemon can take longer than a test.
    await builtDist();
  }, 180_000);

  afterAll(async () => {
    await finish(place, daemon);
  });

  const folder = (id: string) => join(place.stateDir, "containers", place.namespace, id);

  // restartWith stops the daemon (its containers run on), damages the
  // folder, and starts a daemon again, which restores before it serves.
  async function restartWith(damage: () => Promise<void>): Promise<DaemonProcess> {
    await daemon!.kill("SIGTERM");
    await damage();
    daemon = await DaemonProcess.start(place);
    return daemon;
  }

  // logged waits for the daemon's log to say what pattern matches: stderr
  // may arrive a moment after the "ready" on stdout.
  async function logged(d: DaemonProcess, pattern: RegExp): Promise<void> {
    await until(() => pattern.test(d.stderr), () => `the daemon to log ${pattern}; it logged:\n${d.stderr}`);
  }

  const damages: Array<[string, (id: string) => Promise<void>, RegExp]> = [
    ["an empty config.json", (id) => truncate(join(folder(id), "bundle", "config.json"), 0), /config\.json is not valid JSON/],
    ["a torn config.json", (id) => writeFile(join(folder(id), "bundle", "config.json"), '{"ociVersion": "1.0.2", "proc'), /config\.json is not valid JSON/],
    ["a config.json that is not an object", (id) => writeFile(join(folder(id), "bundle", "config.json"), "[]"), /config\.json is not a JSON object/],
    ["no config.json", (id) => rm(join(folder(id), "bundle", "config.json")), /config\.json is missing/],
    ["an empty record", (id) => truncate(join(folder(id), "record.json"), 0), /record cannot be read .*not valid JSON/],
    ["a record of another shape", (id) => writeFile(join(folder(id), "record.json"), '{"version": 1, "id": "x"}'), /record cannot be read .*not a container record/],
  ];

  it.each(damages)("a running container with %s is removed, named in the log, with one delete event", async (_, damage, why) => {
    daemon ??= await DaemonProcess.start(place);
    const client = await daemon.client();
    const id = place.id("c");
    await client.create(id, { process: { args: SLEEP } });
    await client.close();
    const again = await restartWith(() => damage(id));
    await logged(again, new RegExp(`restore: removing container ${place.namespace}/${id}: .*${why.source}`));
    expect(leftovers(place)).toEqual([]);
    const next = await again.client();
    expect((await next.list()).map((c) => c.id)).not.toContain(id);
    const events = (await readEvents(next, 0n, 300)).filter((e) => e.containerId === id).map(show);
    // Its process was killed with the container (137), or the exit came first.
    expect(events.slice(0, 2)).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`]);
    expect(events.filter((e) => e.includes(":delete:"))).toHaveLength(1);
    expect(events.at(-1)).toMatch(new RegExp(`^${id}:delete:init:`));
    await next.close();
  });

  it("a half-made folder (a bundle with an empty config.json and no record) is removed, named in the log", async () => {
    daemon ??= await DaemonProcess.start(place);
    const id = place.id("half");
    const again = await restartWith(async () => {
      await mkdir(join(folder(id), "bundle", "rootfs"), { recursive: true });
      await writeFile(join(folder(id), "bundle", "config.json"), "");
    });
    await logged(again, new RegExp(`restore: removing container ${place.namespace}/${id}: it has no record`));
    expect(leftovers(place)).toEqual([]);
    // And it stays gone: the next start has nothing to say about it.
    const second = await restartWith(async () => {});
    const client = await second.client();
    await client.list();
    await client.close();
    expect(second.stderr).not.toMatch(id);
  });

  it("a stray file where a container folder belongs is removed, named in the log", async () => {
    daemon ??= await DaemonProcess.start(place);
    const id = place.id("file");
    const again = await restartWith(() => writeFile(folder(id), "not a folder"));
    await logged(again, new RegExp(`restore: removing container ${place.namespace}/${id}: it is not a folder`));
    expect(leftovers(place)).toEqual([]);
  });

  // An id with no folder at all is NOT_FOUND, and nothing was removed, so
  // the log must not say so: an operator reading "removing" would look for
  // a container that never existed.
  it("Restore of an id with no folder answers NOT_FOUND and logs no removal", async () => {
    daemon ??= await DaemonProcess.start(place);
    const client = await daemon.client();
    const ghost = place.id("ghost");
    await expect(client.restore(ghost)).rejects.toMatchObject({ code: "not_found" });
    // A fence: a stray file restored next is logged as removed; the log is
    // written in order, so once that line is there, any line about the
    // ghost would be too.
    const stray = place.id("fence");
    await writeFile(folder(stray), "not a folder");
    await expect(client.restore(stray)).rejects.toMatchObject({ code: "not_found" });
    await logged(daemon, new RegExp(`restore: removing container ${place.namespace}/${stray}: it is not a folder`));
    expect(daemon.stderr).not.toMatch(ghost);
    await client.close();
    expect(leftovers(place)).toEqual([]);
  });

  // A daemon killed inside an atomic write (temp file, fsync, rename) leaves
  // the temp file; nothing renames it later, so restore removes it.
  it("temp files of atomic writes a killed daemon left are removed, and the container is adopted", async () => {
    daemon ??= await DaemonProcess.start(place);
    const client = await daemon.client();
    const id = place.id("tmp");
    await client.create(id, { process: { args: SLEEP } });
    await client.close();
    const dead = daemon.pid;
    const temps = [join(folder(id), "bundle", `config.json.tmp-${dead}-k1ll3d`), join(folder(id), `record.json.tmp-${dead}-0dd`)];
    const again = await restartWith(async () => {
      await writeFile(temps[0]!, '{"ociVersion": "1.0.2", "pro');
      await writeFile(temps[1]!, "");
    });
    const next = await again.client();
    expect((await next.state(id)).status).toBe(Status.RUNNING);
    expect(temps.filter((t) => existsSync(t))).toEqual([]);
    await next.delete(id, { force: true });
    await next.close();
    expect(leftovers(place)).toEqual([]);
  });
});
