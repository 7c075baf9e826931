// A daemon SIGKILLed at each step of Create and of Delete, then started
// again on the same state directory: every container is either working or
// gone without a trace, and the events a subscriber sees tell the same
// story exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EventType, Status } from "../../src/client/types.js";
import { builtDist, DaemonProcess, daemonPlace, finish, type DaemonPlace } from "./daemon-process.js";
import { describe as show, readEvents } from "./events.js";

const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"];

describe("a daemon killed inside Create or Delete", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    place = daemonPlace("crashcreate");
    // Building the daemon can take longer than a test.
    await builtDist();
  }, 180_000);

  afterAll(async () => {
    await finish(place, daemon);
  });

  // Each step: whether the container must survive ("kept"), must be gone
  // ("undone"), or may be either (the crash races the journal's flush).
  const createSteps: Array<[string, "kept" | "undone" | "either"]> = [
    // Between the mount and the record: a folder restore must clear alone.
    ["create:after-mount", "undone"],
    ["create:after-config", "undone"],
    ["create:after-record", "undone"],
    ["create:after-runc-create", "undone"],
    ["create:after-create-event", "undone"],
    ["create:after-runc-start", "undone"],
    ["create:after-start-event", "undone"],
    // The second record save of the Create, after its events are durable.
    ["record:before-write@2", "kept"],
    ["create:after-save", "kept"],
  ];

  it.each(createSteps)("Create killed at %s leaves a container %s", async (failpoint, outcome) => {
    daemon = await DaemonProcess.start(place, { failpoint });
    const before = await readEvents(await daemon.client(), 0n, 50).then((e) => e.at(-1)?.sequence ?? 0n);
    const id = place.id("c");
    const client = await daemon.client();
    await expect(client.create(id, { process: { args: SLEEP } })).rejects.toThrow();
    expect((await daemon.exited).signal).toBe("SIGKILL");
    await client.close().catch(() => {});

    daemon = await DaemonProcess.start(place);
    const again = await daemon.client();
    const events = (await readEvents(again, before, 300)).filter((e) => e.containerId === id).map(show);
    const listed = (await again.list()).filter((c) => c.id === id);
    const kept = listed.length === 1;
    console.log(`${failpoint}: ${kept ? "kept" : "undone"}; events: ${events.join(" ") || "none"}`);
    if (outcome !== "either") expect(kept ? "kept" : "undone").toBe(outcome);
    if (kept) {
      expect(listed[0]!.status).toBe(Status.RUNNING);
      expect(events).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:restore:init:0`]);
      // Every operation works on it.
      await again.signal(id, "TERM");
      expect((await again.wait(id)).exitCode).toBe(0);
      await again.delete(id);
    } else {
      // Nothing published, or a create the undo answered with a delete.
      expect([[], [`${id}:create:init:0`, `${id}:delete:init:0`]]).toContainEqual(events);
      // The id is free again and works.
      await again.create(id, { process: { args: ["true"] } });
      expect((await again.wait(id)).exitCode).toBe(0);
      await again.delete(id);
    }
    await again.close();
    await daemon.kill("SIGTERM");
    daemon = undefined;
    await expectNoLeftovers(place);
  });

  // A Create that runc fails is undone at once: killed while that undo
  // removes its files, it leaves a record and no config.json. Its create
  // event never went out, so the next daemon must not publish a delete
  // for it (a lone delete is what the fault test once saw).
  it.each(["delete:after-unmount", "delete:after-event"])("a Create runc fails, killed at %s while it is undone, announces nothing", async (failpoint) => {
    daemon = await DaemonProcess.start(place, { failpoint });
    const client = await daemon.client();
    const before = (await readEvents(client, 0n, 50)).at(-1)?.sequence ?? 0n;
    const id = place.id("doomed");
    await expect(client.create(id, { process: { args: ["/no/such/program"] } })).rejects.toThrow();
    expect((await daemon.exited).signal).toBe("SIGKILL");
    await client.close().catch(() => {});

    daemon = await DaemonProcess.start(place);
    const again = await daemon.client();
    expect((await again.list()).map((c) => c.id)).not.toContain(id);
    const events = (await readEvents(again, before, 300)).filter((e) => e.containerId === id).map(show);
    // Nothing, or (had runc got as far as a create) a create and its delete.
    expect([[], [`${id}:create:init:0`, `${id}:delete:init:0`]]).toContainEqual(events);
    await again.close();
    await daemon.kill("SIGTERM");
    daemon = undefined;
    await expectNoLeftovers(place);
  });

  // The delete a crash left owed carries the last run's exit whole, as the
  // Delete that was cut short would have published it: here an OOM kill.
  it("a Delete killed after marking the record publishes, on restore, a delete with the run's oomKilled", async () => {
    daemon = await DaemonProcess.start(place, { failpoint: "delete:after-mark" });
    const client = await daemon.client();
    const before = (await readEvents(client, 0n, 50)).at(-1)?.sequence ?? 0n;
    const id = place.id("oom");
    await client.create(id, {
      process: { args: ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=128M count=1"] },
      resources: { memoryLimitBytes: 16n << 20n, memorySwapLimitBytes: 16n << 20n },
    });
    const exit = await client.wait(id);
    expect([exit.exitCode, exit.oomKilled]).toEqual([137, true]);
    await expect(client.delete(id)).rejects.toThrow();
    expect((await daemon.exited).signal).toBe("SIGKILL");
    await client.close().catch(() => {});

    daemon = await DaemonProcess.start(place);
    const again = await daemon.client();
    expect((await again.list()).map((c) => c.id)).not.toContain(id);
    const events = (await readEvents(again, before, 300)).filter((e) => e.containerId === id);
    const deletes = events.filter((e) => e.type === EventType.DELETE);
    expect(deletes.map((e) => ({ exitCode: e.exitCode, oomKilled: e.oomKilled, monitorDied: e.monitorDied })), events.map(show).join(" ")).toEqual([
      { exitCode: 137, oomKilled: true, monitorDied: false },
    ]);
    await again.close();
    await daemon.kill("SIGTERM");
    daemon = undefined;
    await expectNoLeftovers(place);
  });

  it.each(["delete:after-mark", "delete:after-unmount", "delete:after-event"])("Delete killed at %s is finished by the next daemon, with one delete event", async (failpoint) => {
    daemon = await DaemonProcess.start(place, { failpoint });
    const client = await daemon.client();
    const before = (await readEvents(client, 0n, 50)).at(-1)?.sequence ?? 0n;
    const id = place.id("d");
    await client.create(id, { process: { args: SLEEP } });
    await expect(client.delete(id, { force: true })).rejects.toThrow();
    expect((await daemon.exited).signal).toBe("SIGKILL");
    await client.close().catch(() => {});

    daemon = await DaemonProcess.start(place);
    const again = await daemon.client();
    expect((await again.list()).map((c) => c.id)).not.toContain(id);
    const events = (await readEvents(again, before, 300)).filter((e) => e.containerId === id).map(show);
    expect(events).toEqual([`${id}:create:init:0`, `${id}:start-container:init:0`, `${id}:exit:init:137`, `${id}:delete:init:137`]);
    await again.close();
    await daemon.kill("SIGTERM");
    daemon = undefined;
    await expectNoLeftovers(place);
  });
});

// expectNoLeftovers checks the namespace's folders hold nothing of removed
// containers: no runtime state, no container folder, no exit file, no mount.
async function expectNoLeftovers(place: DaemonPlace): Promise<void> {
  const { existsSync, readdirSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const ls = (p: string) => (existsSync(p) ? readdirSync(p) : []);
  expect(ls(join(place.stateDir, "runc", place.namespace))).toEqual([]);
  expect(ls(join(place.stateDir, "containers", place.namespace))).toEqual([]);
  expect(ls(join(place.stateDir, "exits", place.namespace))).toEqual([]);
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.split(" ")[4]?.startsWith(place.stateDir));
  expect(mounts).toEqual([]);
}
