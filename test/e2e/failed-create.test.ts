// A Create that fails leaves nothing behind the moment it returns: no
// container folder, no mount, no cgroup, no monitor, no runtime state, no
// exit file; not later, and not only after the next daemon start. The
// failures here happen after conmon started runc, the latest a Create can
// fail before the container runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { EventType } from "../../src/client/types.js";
import { leftovers } from "../durability/daemon-process.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const encode = (spec: unknown) => new TextEncoder().encode(JSON.stringify(spec));

describe("a Create that runc fails", () => {
  let daemon: TestDaemon;
  let client: Client;
  const reported: string[] = [];

  beforeAll(async () => {
    daemon = await startTestDaemon("failedcreate", { serve: false, onError: (err) => reported.push(String((err as Error)?.message ?? err)) });
    client = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  });

  afterAll(async () => {
    await daemon.stop();
  });

  const cases: Array<[string, () => Parameters<Client["create"]>[1]]> = [
    // The reported case: without a mount namespace runc bind-mounts the root
    // onto itself in the host's namespace, then fails (no /proc), leaving
    // that mount stacked on the overlay.
    ["a spec without a mount namespace or /proc", () => ({ ociSpecJson: encode({ process: { args: ["sh", "-c", "true"] }, mounts: [] }) })],
    ["a spec with a mount namespace but no /proc", () => ({ ociSpecJson: encode({ process: { args: ["sh", "-c", "true"] }, mounts: [], linux: { namespaces: [{ type: "mount" }] } }) })],
    ["a program the root filesystem does not have", () => ({ process: { args: ["/no/such/program"] } })],
  ];

  it.each(cases)("%s leaves nothing behind once the call returns", { timeout: 30_000 }, async (_, options) => {
    const id = daemon.id("c");
    reported.length = 0;
    await expect(client.create(id, options())).rejects.toThrow();
    expect(leftovers(daemon)).toEqual([]);
    expect(reported.filter((m) => m.includes(id) || /EBUSY|rmdir|umount/.test(m))).toEqual([]);
    expect(await client.list()).toEqual([]);
    // The id is free again.
    await client.create(id, { process: { args: ["true"] } });
    expect((await client.wait(id)).exitCode).toBe(0);
    await client.delete(id);
    expect(leftovers(daemon)).toEqual([]);
    // The failed Create announced nothing, or a create answered by a delete.
    const seen: string[] = [];
    for await (const e of client.subscribe({ containerIds: [id], sinceSequence: 0n, until: new Date() })) seen.push(EventType[e.type]);
    expect([["CREATE", "DELETE", "CREATE"], ["CREATE"]]).toContainEqual(seen.slice(0, seen.indexOf("START_CONTAINER")));
  });
});
