// A container's block of user namespace ids outlives the daemon: after a
// SIGKILL of the daemon and a restart on the same state directory, each
// container keeps its mappings (its process still runs under them, exec
// joins them), no new container gets ids a kept one holds, and the block
// is free again only once its container is deleted.
import { readFile } from "node:fs/promises";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";
import { builtDist, DaemonProcess, daemonPlace, finish, type DaemonPlace } from "../durability/daemon-process.js";

// Apart from the other userns suites' ranges (userns-contract.ts).
const RANGE = { start: 1_600_000_000, count: 4 * 65536 };
const AUTO = { userns: { mode: UsernsMode.AUTO } };

describe("user namespace blocks across a daemon SIGKILL", { timeout: 90_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    place = daemonPlace("uns-restart");
    await builtDist();
  }, 180_000);

  afterAll(async () => {
    await finish(place, daemon);
  });

  const start = () => DaemonProcess.start(place, { subuidRange: `${RANGE.start}:${RANGE.count}` });
  const firstUid = async (client: Client, id: string) => (await client.inspect(id)).container.userns?.uidMappings[0]?.hostId;

  it("keeps each container's block after a SIGKILL and restore, and never hands it out twice", async () => {
    daemon = await start();
    let client = await daemon.client();
    const a = place.id("a");
    const b = place.id("b");
    const started = await client.create(a, { security: AUTO, process: { args: ["sleep", "60"] } });
    await client.create(b, { security: AUTO, start: false, process: { args: ["true"] } });
    const before = { a: await firstUid(client, a), b: await firstUid(client, b) };
    expect(before.a).toBe(RANGE.start);
    expect(before.b).toBe(RANGE.start + 65536);
    await client.close();
    await daemon.kill("SIGKILL");

    daemon = await start();
    client = await daemon.client();
    expect({ a: await firstUid(client, a), b: await firstUid(client, b) }).toEqual(before);
    const status = await readFile(`/proc/${started.pid}/status`, "utf8");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${before.a}\\s`, "m"));
    await client.addProcess(a, "who", { args: ["sh", "-c", "id -u; cat /proc/self/uid_map"] });
    expect((await client.wait(a, { processId: "who" })).exitCode).toBe(0);
    const lines: string[] = [];
    for await (const l of client.logs(a, { processId: "who" })) lines.push(Buffer.from(l.line).toString());
    expect(lines[0]).toBe("0");
    expect(lines[1]).toMatch(new RegExp(`^\\s*0\\s+${before.a}\\s+65536`));

    // A new container gets the next free block, not one a kept one holds.
    const c = place.id("c");
    await client.create(c, { security: AUTO, start: false, process: { args: ["true"] } });
    expect(await firstUid(client, c)).toBe(RANGE.start + 2 * 65536);
    // Deleting b frees its block for the next one.
    await client.delete(b);
    const d = place.id("d");
    await client.create(d, { security: AUTO, start: false, process: { args: ["true"] } });
    expect(await firstUid(client, d)).toBe(before.b);
    for (const id of [a, c, d]) await client.delete(id, { force: true });
    await client.close();
  });
});
