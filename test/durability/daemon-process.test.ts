// finish() is the leak check of every suite that runs a daemon as a child
// process: it must fail a suite that forgot to delete a container (checking
// before it cleans), name the leak, and still leave the host clean.
import { existsSync } from "node:fs";

import { beforeAll, describe, expect, it } from "vitest";

import { builtDist, DaemonProcess, daemonPlace, finish, leftovers } from "./daemon-process.js";

describe("finish, the durability suites' leak check", { timeout: 60_000 }, () => {
  // Building the daemon can take longer than a test.
  beforeAll(() => builtDist(), 180_000);

  it("fails naming a container the suite never deleted, then removes everything it left", async () => {
    const place = daemonPlace("finish");
    const daemon = await DaemonProcess.start(place);
    const client = await daemon.client();
    const id = place.id("forgotten");
    await client.create(id, { process: { args: ["sh", "-c", "while true; do sleep 0.2; done"] } });
    await client.close();
    const err = await finish(place, daemon).then(() => undefined, (e: unknown) => e);
    expect(String(err)).toMatch(new RegExp(`the suite leaked:\\n(.|\\n)*container ${id} \\(RUNNING\\), never deleted`));
    // Its monitor and mount were leaks too, named with it.
    expect(String(err)).toMatch(/mount .*\/bundle\/rootfs/);
    expect(leftovers(place)).toEqual([]);
    expect(existsSync(place.stateDir)).toBe(false);
  });

  it("passes for a suite that deleted what it made", async () => {
    const place = daemonPlace("finish");
    const daemon = await DaemonProcess.start(place);
    const client = await daemon.client();
    const id = place.id("deleted");
    await client.create(id, { process: { args: ["true"] } });
    await client.wait(id);
    await client.delete(id);
    await client.close();
    await finish(place, daemon);
    expect(existsSync(place.stateDir)).toBe(false);
  });
});
