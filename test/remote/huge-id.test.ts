// A 10,000-character id, against a real daemon: a gRPC client gets
// INVALID_ARGUMENT with a short message. gRPC's C core (Python, Ruby, C++)
// takes at most 8 KiB of metadata by default, and answered a whole echoed
// id with RESOURCE_EXHAUSTED "metadata size exceeds limit" instead. grpc-js
// (default options here) reads bigger trailers, so the test checks the
// message's size itself.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { STATUS_MESSAGE_MAX_BYTES } from "../../src/wire/status.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";

const HUGE = "x".repeat(10_000);
let daemon: TestDaemon;
let grpcJs: GrpcJsClient;

beforeAll(async () => {
  daemon = await startTestDaemon("huge-id", { maxRequestBytes: 64 * 1024 });
  grpcJs = createGrpcJsClient(daemon.socketPath);
}, 60_000);

afterAll(async () => {
  grpcJs?.close();
  await daemon?.stop();
}, 60_000);

describe("a huge id", () => {
  it.each([
    ["State", { id: HUGE }],
    ["Create", { id: HUGE, process: { args: ["true"] } }],
    ["Wait", { id: HUGE }],
    ["Delete", { id: HUGE, force: true }],
    ["AddProcess", { id: "c", processId: HUGE, process: { args: ["true"] } }],
  ])("%s is INVALID_ARGUMENT with a message under 1 KiB for a default grpc-js client", async (method, request) => {
    const err = (await grpcJs.unary("ContainerService", method, request, { namespace: daemon.namespace }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(Buffer.byteLength(err.details)).toBeLessThanOrEqual(STATUS_MESSAGE_MAX_BYTES);
  });

  it("is INVALID_ARGUMENT over Connect, with a short message", async () => {
    const client = await GrpcClient.connect({ socketPath: daemon.socketPath, namespace: "ok", protocol: "connect" });
    try {
      const err = (await client.state(HUGE).catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe("invalid_argument");
      expect(Buffer.byteLength(err.message)).toBeLessThanOrEqual(STATUS_MESSAGE_MAX_BYTES);
    } finally {
      await client.close();
    }
  });
});

describe("Remote's maxRequestBytes", () => {
  it("bounds a request on the daemon's socket, naming the limit", async () => {
    const env = Array.from({ length: 2048 }, (_, i) => `VAR_${i}=${"v".repeat(40)}`);
    await expect(
      grpcJs.unary("ContainerService", "Create", { id: "c", process: { args: ["true"], env } }, { namespace: daemon.namespace }),
    ).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining("65536") });
  });
});
