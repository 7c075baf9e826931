// A client built from the .proto files alone (grpc-js + proto-loader) can
// use the daemon: no generated TypeScript, no connect-es on its side.
import type { ClientReadableStream } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "../../src/client/types.js";
import { notFound } from "../../src/errors/berth-error.js";
import { startFakeServer, type FakeServer } from "../fixtures/fake-server.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { until } from "../fixtures/until.js";

let fake: FakeServer;
let grpcJs: GrpcJsClient;

beforeAll(async () => {
  fake = await startFakeServer();
  grpcJs = createGrpcJsClient(fake.socketPath);
});

afterAll(async () => {
  grpcJs?.close();
  await fake?.close();
});

function nextMessages<T>(call: ClientReadableStream<T>, count: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const got: T[] = [];
    call.on("data", (message: T) => {
      got.push(message);
      if (got.length === count) resolve(got);
    });
    call.on("error", reject);
  });
}

describe("grpc-js client from the .proto files", () => {
  it("Create sends the spec and receives the container", async () => {
    const res = await grpcJs.unary<{ container: Record<string, unknown> }>(
      "ContainerService",
      "Create",
      { id: "web-1", process: { args: ["sleep", "60"] }, labels: { tier: "front" }, resources: { memoryLimitBytes: "67108864" } },
      { namespace: "proto" },
    );
    expect(res.container).toMatchObject({
      id: "web-1",
      namespace: "proto",
      pid: 4242,
      labels: { app: "web", "berth.io/session": "s-1", empty: "" },
      createdAt: { seconds: "1700000000", nanos: 1 },
      exitCode: 0,
      restartCount: 2,
    });
    const call = fake.hub.callsOf("create").at(-1)!;
    expect(call.namespace).toBe("proto");
    expect(call.args).toMatchObject([
      "web-1",
      { process: { args: ["sleep", "60"] }, labels: { tier: "front" }, resources: { memoryLimitBytes: 67108864n } },
    ]);
  });

  it("State returns the container; Stats keeps 64-bit counters as exact decimal strings", async () => {
    const state = await grpcJs.unary<{ container: { id: string; processes: unknown[] } }>("ContainerService", "State", { id: "web-1" });
    expect(state.container.id).toBe("web-1");
    expect(state.container.processes).toHaveLength(2);
    const stats = await grpcJs.unary<{ stats: Record<string, Record<string, string>> }>("ContainerService", "Stats", { id: "web-1" });
    expect(stats.stats.cpu).toMatchObject({ usageNs: "18446744073709551615", userNs: "9007199254740993" });
    expect(stats.stats.memory).toMatchObject({ usageBytes: "1099511627776", limitBytes: "0", oomKills: "3" });
  });

  it("an unknown id is NOT_FOUND (5) with the engine's message", async () => {
    fake.hub.failNext("state", notFound('container "nope" not found'));
    await expect(grpcJs.unary("ContainerService", "State", { id: "nope" })).rejects.toMatchObject({
      code: 5,
      details: 'container "nope" not found',
    });
  });

  it("a bad namespace header is INVALID_ARGUMENT (3)", async () => {
    await expect(grpcJs.unary("ContainerService", "State", { id: "x" }, { namespace: "a/b" })).rejects.toMatchObject({ code: 3 });
  });

  it("Subscribe streams events and stops at the source when cancelled", async () => {
    const call = grpcJs.serverStream<{ event: Record<string, unknown> }>("EventService", "Subscribe", {
      containerIds: ["sub-1"],
      types: [EventType.START_CONTAINER, EventType.EXIT],
    });
    await until(() => fake.hub.subscriptions.length > 0, "the subscription to open");
    const subscription = fake.hub.subscriptions.at(-1)!;
    const received = nextMessages(call, 2);
    fake.hub.emit("default", "other", EventType.START_CONTAINER);
    const start = fake.hub.emit("default", "sub-1", EventType.START_CONTAINER);
    fake.hub.emit("default", "sub-1", EventType.PAUSE);
    const exit = fake.hub.emit("default", "sub-1", EventType.EXIT);
    const events = (await received).map((m) => m.event);
    expect(events).toMatchObject([
      { sequence: String(start.sequence), containerId: "sub-1", type: EventType.START_CONTAINER },
      { sequence: String(exit.sequence), type: EventType.EXIT, exitCode: 137 },
    ]);
    call.on("error", () => {}); // cancelling reports CANCELLED to this side; expected
    call.cancel();
    await until(() => subscription.options.signal?.aborted === true, "the server-side subscription to see the abort");
  });

  it("a deadline on Wait reaches the engine as an aborted signal", async () => {
    const before = fake.hub.abortedCalls.length;
    await expect(grpcJs.unary("ContainerService", "Wait", { id: "block-1" }, { deadlineMs: 100 })).rejects.toMatchObject({ code: 4 });
    await until(() => fake.hub.abortedCalls.length > before, "wait to be aborted");
    expect(fake.hub.abortedCalls.at(-1)!.method).toBe("wait");
  });
});
