// A daemon that dies mid-call: GrpcClient says UNAVAILABLE (the daemon went
// away), never ABORTED, which the README keeps for concurrency conflicts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpcClient } from "../../src/client/grpc-client.js";
import type { WireProtocol } from "../../src/client/transport.js";
import { DaemonProcess, daemonPlace, finish, type DaemonPlace } from "../durability/daemon-process.js";

describe("a daemon killed during a call", { timeout: 60_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;

  beforeAll(() => {
    place = daemonPlace("reset");
  });

  afterAll(async () => {
    // A daemon started again adopts what the killed one left; the test
    // deletes that through it, so finish() finds nothing left over.
    if (daemon !== undefined && daemon.child.exitCode === null && daemon.child.signalCode === null) await daemon.kill();
    daemon = await DaemonProcess.start(place);
    const client = await daemon.client();
    try {
      for (const c of await client.list()) await client.delete(c.id, { force: true });
    } finally {
      await client.close();
    }
    await finish(place, daemon);
  });

  it.each<WireProtocol>(["grpc", "connect"])("ends a long %s Wait with UNAVAILABLE saying the daemon went away", async (protocol) => {
    daemon = await DaemonProcess.start(place);
    const client = await GrpcClient.connect({ socketPath: place.socketPath, namespace: place.namespace, protocol });
    try {
      const id = place.id("sleeper");
      await client.create(id, { process: { args: ["sleep", "600"] } });
      const waited = client.wait(id).then(
        () => new Error("wait returned although the daemon died"),
        (err: unknown) => err,
      );
      // Wait is in flight once the daemon has it; a Ping on the same
      // connection after it proves the Wait request went out first.
      await client.ping();
      await daemon.kill();
      expect(await waited).toMatchObject({
        code: "unavailable",
        message: expect.stringContaining(`the berth daemon at ${place.socketPath} went away mid-call`),
      });
    } finally {
      await client.close();
    }
  });
});
