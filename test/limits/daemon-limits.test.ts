// The daemon's limits against misuse (Remote options, `berth serve` flags):
// each has a default, is refused at start when it is no usable number, and
// answers with its own status when hit; and calls a client abandons give
// back everything they held.
import { readdirSync } from "node:fs";

import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { Remote } from "../../src/remote/remote.js";
import { isBerthError } from "../../src/errors/berth-error.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const LIVE = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"];

const codeOf = (err: unknown) => (err as grpc.ServiceError).code;

// A client on a connection of its own: grpc-js otherwise shares one
// connection between clients of the same target.
const ownConnection = (socketPath: string) => createGrpcJsClient(socketPath, undefined, { "grpc.use_local_subchannel_pool": 1 });

describe("daemon limits", () => {
  let daemon: TestDaemon;
  let raw: GrpcJsClient;

  beforeAll(async () => {
    daemon = await startTestDaemon("limits", { maxContainersPerNamespace: 2, maxEventSubscribers: 3, maxConcurrentStreams: 3 });
    raw = createGrpcJsClient(daemon.socketPath);
  });

  afterAll(async () => {
    raw.close();
    for (const ns of [daemon.namespace, `${daemon.namespace}-b`]) {
      const c = await daemon.remote.client(undefined, { namespace: ns });
      for (const x of await c.list()) await c.delete(x.id, { force: true });
      await c.close();
    }
    await daemon.stop();
  });

  it("refuses a Create past maxContainersPerNamespace with RESOURCE_EXHAUSTED naming the limit, in that namespace only", async () => {
    const ns = daemon.namespace;
    const ids = [daemon.id("a"), daemon.id("b"), daemon.id("c")];
    for (const id of ids.slice(0, 2)) await raw.unary("ContainerService", "Create", { id, process: { args: ["true"] }, start: false }, { namespace: ns });
    const refused = await raw.unary("ContainerService", "Create", { id: ids[2], process: { args: ["true"] }, start: false }, { namespace: ns }).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((refused as grpc.ServiceError).details).toMatch(/holds 2 containers, the daemon's limit \(maxContainersPerNamespace 2\): delete some first, or raise the limit/);
    // The same through the in-process client.
    const local = await daemon.remote.client(undefined, { namespace: ns });
    const err = await local.create(ids[2]!, { process: { args: ["true"] }, start: false }).catch((e: unknown) => e);
    expect(isBerthError(err, "resource_exhausted")).toBe(true);
    // Another namespace has its own count.
    const other = await daemon.remote.client(undefined, { namespace: `${ns}-b` });
    await other.create(daemon.id("other"), { process: { args: ["true"] }, start: false });
    // A delete frees a place.
    await local.delete(ids[0]!);
    await local.create(ids[2]!, { process: { args: ["true"] }, start: false });
    for (const id of ids.slice(1)) await local.delete(id);
    await local.close();
    await other.close();
  });

  it("refuses a Subscribe past maxEventSubscribers with RESOURCE_EXHAUSTED, and takes one again once another ends", async () => {
    const bus = daemon.remote["engine"]!.bus;
    // Each on its own connection, so maxConcurrentStreams is not what holds them.
    const clients: GrpcJsClient[] = [];
    const open = () => {
      const client = ownConnection(daemon.socketPath);
      clients.push(client);
      const call = client.serverStream("EventService", "Subscribe", {}, { namespace: daemon.namespace });
      call.on("error", () => {});
      return call;
    };
    // One at a time, so each is registered before the next is sent.
    const held: grpc.ClientReadableStream<unknown>[] = [];
    for (let i = 1; i <= 3; i++) {
      held.push(open());
      await until(() => bus.subscriberCount === i, `subscription ${i} registered`);
    }
    const refused = await new Promise<grpc.ServiceError>((resolve) => open().once("error", resolve));
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/serves 3 event subscriptions, its limit \(maxEventSubscribers 3\): end one first, or raise the limit/);
    held[0]!.cancel();
    await until(() => bus.subscriberCount === 2, "the cancelled subscription gone");
    held[0] = open();
    await until(() => bus.subscriberCount === 3, "a new subscription in the freed place");
    for (const call of held) call.cancel();
    await until(() => daemon.remote["engine"]!.bus.subscriberCount === 0, "every subscription gone");
  });

  it("holds a call past maxConcurrentStreams on one connection until a stream ends, while another connection is served", async () => {
    const one = ownConnection(daemon.socketPath);
    const held = Array.from({ length: 3 }, () => one.serverStream("EventService", "Subscribe", {}, { namespace: daemon.namespace }));
    for (const call of held) call.on("error", () => {});
    await until(() => daemon.remote["engine"]!.bus.subscriberCount === 3, "three streams open on one connection");
    // The fourth stream on the same connection waits for a free one: its
    // deadline passes with the daemon never having seen it.
    const waited = await one.unary("SystemService", "Ping", {}, { deadlineMs: 300 }).catch((e: unknown) => e);
    expect(codeOf(waited)).toBe(grpc.status.DEADLINE_EXCEEDED);
    const second = ownConnection(daemon.socketPath);
    await second.unary("SystemService", "Ping", {}, { deadlineMs: 10_000 });
    second.close();
    held[0]!.cancel();
    await one.unary("SystemService", "Ping", {}, { deadlineMs: 10_000 });
    for (const call of held) call.cancel();
    one.close();
    await until(() => daemon.remote["engine"]!.bus.subscriberCount === 0, "every stream gone");
  });
});

describe("limits given at start", () => {
  it.each([
    [{ maxConcurrentStreams: 0 }, /^maxConcurrentStreams 0 is not a usable limit: give a whole number of streams a connection from 1 to 2147483647$/],
    [{ maxContainersPerNamespace: 1.5 }, /^maxContainersPerNamespace 1.5 is not a usable limit/],
    [{ maxEventSubscribers: -1 }, /^maxEventSubscribers -1 is not a usable limit/],
    [{ maxRequestBytes: 10 }, /^maxRequestBytes 10 is not a usable limit: give a whole number of bytes from 1024/],
    [{ maxImageArchiveBytes: 2 ** 60 }, /^maxImageArchiveBytes \d+ is not a usable limit: give a whole number of bytes from 1024 to 9007199254740991$/],
  ])("refuses %o before the daemon starts, naming the option and its range", async (options, message) => {
    const err = await Remote.start({ stateDir: "/nonexistent/berth-limits", ...options }).catch((e: unknown) => e);
    expect(isBerthError(err, "invalid_argument")).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

// What the daemon's process holds, by kind: descriptors, and Node's active
// resources (sockets, timers, pending fs requests) counted by type.
function holdings(): Map<string, number> {
  const counts = new Map<string, number>([["fd", readdirSync("/proc/self/fd").length]]);
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

const grown = (before: Map<string, number>, after: Map<string, number>) =>
  [...after].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind, n]) => `${kind} ${before.get(kind) ?? 0} -> ${n}`);

describe("abandoned calls", () => {
  let daemon: TestDaemon;

  beforeAll(async () => {
    daemon = await startTestDaemon("abandon");
  });

  afterAll(async () => {
    await daemon.stop();
  });

  it("1,000 cancelled or timed-out Wait, Logs, Attach and Subscribe calls give back every descriptor, timer, socket and subscription", { timeout: 180_000 }, async () => {
    const ns = daemon.namespace;
    const id = daemon.id("sleeper");
    const local = await daemon.remote.client(undefined, { namespace: ns });
    await local.create(id, { process: { args: LIVE } });
    onTestFinished(async () => {
      await local.delete(id, { force: true }).catch(() => {});
      await local.close();
    });
    const bus = daemon.remote["engine"]!.bus;
    // Waits through berth's GrpcClient, as another process would call.
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    const abandon = async (client: GrpcJsClient, i: number) => {
      // Half are cancelled by the client once the daemon holds them, half
      // run out their deadline.
      const deadlineMs = i % 2 === 0 ? 60_000 : 100;
      const settle = (call: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>) =>
        new Promise<number>((resolve) => {
          call.on("data", () => {});
          call.on("error", (err: grpc.ServiceError) => resolve(err.code));
          call.on("end", () => resolve(-1));
          if (i % 2 === 0) setTimeout(() => call.cancel(), 20);
        });
      switch (i % 8 >> 1) {
        case 0:
          return abandonWait(remote, client, id, ns, i);
        case 1:
          return settle(client.serverStream("ContainerService", "Logs", { id, follow: true, stdout: true, stderr: true }, { namespace: ns, deadlineMs }));
        case 2: {
          const attach = client.bidiStream("ContainerService", "Attach", { namespace: ns, deadlineMs });
          attach.write({ start: { id } });
          return settle(attach);
        }
        default:
          return settle(client.serverStream("EventService", "Subscribe", {}, { namespace: ns, deadlineMs }));
      }
    };
    // One round first: what is made once (lazy modules, pools, the
    // journal's reader) is not a leak.
    const warm = ownConnection(daemon.socketPath);
    await Promise.all(Array.from({ length: 8 }, (_, i) => abandon(warm, i)));
    warm.close();
    await until(() => bus.subscriberCount === 0, "the warm-up's subscriptions gone");
    const before = holdings();

    const client = ownConnection(daemon.socketPath);
    const codes = new Map<number, number>();
    for (let batch = 0; batch < 1000; batch += 50) {
      const ended = await Promise.all(Array.from({ length: 50 }, (_, k) => abandon(client, batch + k)));
      for (const code of ended) codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    client.close();
    // Every call ended as abandoned: CANCELLED or DEADLINE_EXCEEDED, none
    // with a response or another error.
    expect([...codes.keys()].sort()).toEqual([grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED].sort());
    expect([...codes.values()].reduce((a, b) => a + b)).toBe(1000);
    await until(() => bus.subscriberCount === 0, () => `subscriptions to end (${bus.subscriberCount} left)`);
    await until(() => grown(before, holdings()).length === 0, () => `the daemon's holdings to come back: ${grown(before, holdings()).join(", ")}`, 20_000);
    // The container is as it was: running, with nothing but its init.
    expect((await local.state(id)).processes.map((p) => p.id)).toEqual(["init"]);
  });
});

// abandonWait abandons a Wait on a running container through berth's own
// GrpcClient: aborted after 20 ms, or (odd i) through a raw call whose
// deadline of 100 ms passes.
async function abandonWait(remote: Remote, raw: GrpcJsClient, id: string, namespace: string, i: number): Promise<number> {
  if (i % 2 === 1) {
    return raw.unary("ContainerService", "Wait", { id }, { namespace, deadlineMs: 100 }).then(
      () => -1,
      (err: grpc.ServiceError) => err.code,
    );
  }
  const client = await remote.client(undefined, { namespace });
  try {
    await client.wait(id, { signal: AbortSignal.timeout(20) });
    return -1;
  } catch (err) {
    if (isBerthError(err, "canceled")) return grpc.status.CANCELLED;
    throw err;
  } finally {
    await client.close();
  }
}
