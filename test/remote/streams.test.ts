// Server streams stop at their source when the caller stops, and a client
// with a Backend hears every event of its namespace in order, across drops.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { StateInfo } from "../../src/backend/backend.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { EventType } from "../../src/client/types.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { startFakeServer, type FakeServer } from "../fixtures/fake-server.js";
import { until } from "../fixtures/until.js";

let fake: FakeServer;
let client: GrpcClient;

beforeAll(async () => {
  fake = await startFakeServer();
  client = await GrpcClient.connect({ socketPath: fake.socketPath, namespace: "streams" });
});

afterAll(async () => {
  await client?.close();
  await fake?.close();
});

const lastSubscription = () => fake.hub.subscriptions.at(-1)!;

describe("cancellation reaches the engine", () => {
  it("aborting a subscribe ends it quietly here and aborts the server-side iteration", async () => {
    const controller = new AbortController();
    const before = fake.hub.subscriptions.length;
    const seen: bigint[] = [];
    const consumed = (async () => {
      for await (const event of client.subscribe({ signal: controller.signal })) seen.push(event.sequence);
    })();
    await until(() => fake.hub.subscriptions.length > before, "the subscription to open");
    const event = fake.hub.emit("streams", "c1");
    await until(() => seen.length === 1, "the event");
    controller.abort();
    await consumed;
    expect(seen).toEqual([event.sequence]);
    await until(() => lastSubscription().options.signal?.aborted === true, "the server side to see the abort");
  });

  it("breaking out of the loop cancels the call too", async () => {
    const before = fake.hub.subscriptions.length;
    const consumed = (async () => {
      for await (const _ of client.subscribe()) break;
    })();
    await until(() => fake.hub.subscriptions.length > before, "the subscription to open");
    fake.hub.emit("streams", "c1");
    await consumed;
    await until(() => lastSubscription().options.signal?.aborted === true, "the server side to see the abort");
  });

  it("all_namespaces reaches the engine", async () => {
    const controller = new AbortController();
    const before = fake.hub.subscriptions.length;
    const consumed = (async () => {
      for await (const event of client.subscribe({ allNamespaces: true, signal: controller.signal })) {
        if (event.namespace === "elsewhere") controller.abort();
      }
    })();
    await until(() => fake.hub.subscriptions.length > before, "the subscription to open");
    fake.hub.emit("elsewhere", "c1");
    await consumed;
    expect(lastSubscription().options.allNamespaces).toBe(true);
  });

  it("aborting a following logs call aborts it in the engine", async () => {
    const controller = new AbortController();
    const before = fake.hub.abortedCalls.length;
    let lines = 0;
    for await (const _ of client.logs("block-logs", { follow: true, signal: controller.signal })) {
      if (++lines === 2) controller.abort();
    }
    await until(() => fake.hub.abortedCalls.length > before, "logs to be aborted");
    expect(fake.hub.abortedCalls.at(-1)!.method).toBe("logs");
  });

  it("aborting a wait rejects it as canceled and aborts it in the engine", async () => {
    const controller = new AbortController();
    const before = fake.hub.abortedCalls.length;
    const waiting = client.wait("block-wait", { signal: controller.signal });
    await until(() => fake.hub.callsOf("wait").some((c) => c.args[0] === "block-wait"), "wait to arrive");
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "canceled" });
    await until(() => fake.hub.abortedCalls.length > before, "wait to be aborted");
  });
});

describe("events delivered to a Backend", () => {
  let relayed: GrpcClient | undefined;
  const states: { id: string; info: StateInfo }[] = [];
  const reported: BerthError[] = [];
  let running = 0;
  let maxRunning = 0;

  beforeEach(async () => {
    await relayed?.close();
    states.length = 0;
    reported.length = 0;
  });

  afterAll(async () => {
    await relayed?.close();
  });

  async function connectWithBackend(failOn?: string): Promise<GrpcClient> {
    relayed = await GrpcClient.connect({
      socketPath: fake.socketPath,
      namespace: "relay",
      onError: (err) => reported.push(err),
      backend: {
        async stateChanged(id, info) {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running--;
          if (id === failOn) throw new Error(`backend cannot handle ${id}`);
          states.push({ id, info });
        },
      },
    });
    return relayed;
  }

  it("delivers the namespace's events in order, one at a time, from the moment of connect", async () => {
    fake.hub.emit("relay", "too-early");
    await new Promise((resolve) => setTimeout(resolve, 5)); // let the clock move past the early event
    await connectWithBackend();
    // Emitted before the subscription may have reached the server: the
    // relay asks for everything since connect() began, so none is lost.
    const sent = [
      fake.hub.emit("relay", "c1", EventType.START_CONTAINER),
      fake.hub.emit("other-ns", "c1", EventType.PAUSE),
      fake.hub.emit("relay", "c1", EventType.EXIT),
      fake.hub.emit("relay", "c2", EventType.OOM),
    ].filter((e) => e.namespace === "relay");
    await until(() => states.length === sent.length, "every event");
    expect(states.map((s) => [s.id, s.info.state, s.info.sequence])).toEqual([
      ["c1", "start-container", sent[0]!.sequence],
      ["c1", "exit", sent[1]!.sequence],
      ["c2", "oom", sent[2]!.sequence],
    ]);
    expect(states[1]!.info).toMatchObject({ exitCode: 137, processId: "init", namespace: "relay" });
    expect(maxRunning).toBe(1);
    expect(reported).toEqual([]);
  });

  it("reports a failing handler and keeps delivering", async () => {
    await connectWithBackend("bad");
    fake.hub.emit("relay", "bad");
    fake.hub.emit("relay", "good");
    await until(() => states.length === 1 && reported.length === 1, "delivery after the failure");
    expect(states[0]!.id).toBe("good");
    expect(reported[0]!.message).toMatch(/^backend\.stateChanged failed for bad event \d+: backend cannot handle bad$/);
  });

  it("resubscribes after a dropped stream from the last sequence, missing nothing", async () => {
    await connectWithBackend();
    const first = fake.hub.emit("relay", "d1");
    await until(() => states.length === 1, "the first event");
    const subscribes = fake.hub.callsOf("subscribe").length;
    fake.hub.dropSubscriptions(new BerthError("resource_exhausted", "subscriber fell behind"));
    const during = fake.hub.emit("relay", "d2"); // held in the journal while no stream is open
    await until(() => states.length === 2, "the event sent during the drop");
    expect(states.map((s) => s.id)).toEqual(["d1", "d2"]);
    expect(states[1]!.info.sequence).toBe(during.sequence);
    const resubscribe = fake.hub.callsOf("subscribe").slice(subscribes);
    expect(resubscribe[0]!.args[0]).toMatchObject({ sinceSequence: first.sequence });
    expect(reported.map((e) => e.code)).toEqual(["resource_exhausted"]);
    expect(reported[0]!.message).toContain(`resubscribing after sequence ${first.sequence}`);
  });

  it("after OUT_OF_RANGE it asks by time for what the journal holds, skipping what it delivered", async () => {
    await connectWithBackend();
    const first = fake.hub.emit("relay", "o1");
    await until(() => states.length === 1, "the first event");
    const subscribes = fake.hub.callsOf("subscribe").length;
    fake.hub.dropSubscriptions(new BerthError("out_of_range", "sequence is older than the journal"));
    fake.hub.emit("relay", "o2");
    await until(() => states.length === 2, "the event after the gap");
    expect(states.map((s) => s.id)).toEqual(["o1", "o2"]);
    const resubscribe = fake.hub.callsOf("subscribe").slice(subscribes);
    expect(resubscribe[0]!.args[0]).toMatchObject({ since: states[0]!.info.timestamp });
    expect((resubscribe[0]!.args[0] as { sinceSequence?: bigint }).sinceSequence).toBeUndefined();
    expect(reported.map((e) => e.code)).toEqual(["out_of_range"]);
    expect(first.sequence).toBe(states[0]!.info.sequence);
  });

  it("close stops the relay at the source", async () => {
    const c = await connectWithBackend();
    await until(() => lastSubscription().namespace === "relay" && !lastSubscription().options.signal?.aborted, "the relay");
    const subscription = lastSubscription();
    await c.close();
    await until(() => subscription.options.signal?.aborted === true, "the relay's subscription to end");
  });
});
