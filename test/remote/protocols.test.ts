// One socket answers gRPC (HTTP/2, grpc-js), and gRPC-Web and Connect
// (HTTP/1.1, connect-node) with the same handlers; and the RPC floor,
// measured with Ping.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpcClient } from "../../src/client/grpc-client.js";
import type { WireProtocol } from "../../src/client/transport.js";
import { notFound } from "../../src/errors/berth-error.js";
import { startFakeServer, type FakeServer } from "../fixtures/fake-server.js";
import { createGrpcJsClient } from "../fixtures/grpc-js-client.js";
import { sampleContainer, sampleStats } from "../fixtures/sample-messages.js";

const run = promisify(execFile);
let fake: FakeServer;

beforeAll(async () => {
  fake = await startFakeServer();
});

afterAll(async () => {
  await fake?.close();
});

describe.each<WireProtocol>(["connect", "grpc-web"])("the %s protocol", (protocol) => {
  let client: GrpcClient;

  beforeAll(async () => {
    client = await GrpcClient.connect({ socketPath: fake.socketPath, namespace: "proto-ns", protocol });
  });

  afterAll(async () => {
    await client?.close();
  });

  it("carries messages, streams and errors like gRPC", async () => {
    expect(await client.state("c1")).toEqual(sampleContainer("c1", "proto-ns"));
    expect(await client.stats("c1")).toEqual(sampleStats());
    const lines = [];
    for await (const line of client.logs("c1")) lines.push(line);
    expect(lines).toHaveLength(2);
    fake.hub.failNext("state", notFound('container "gone" not found: /run/x'));
    await expect(client.state("gone")).rejects.toMatchObject({ code: "not_found", message: 'container "gone" not found: /run/x' });
  });
});

it("curl speaks Connect JSON to the socket over HTTP/1.1", async () => {
  const { stdout } = await run("curl", [
    ...["--silent", "--show-error", "--unix-socket", fake.socketPath],
    ...["-H", "content-type: application/json", "-H", "berth-namespace: curl"],
    ...["--data", '{"id":"from-curl"}', "http://localhost/berth.v1.ContainerService/State"],
  ]);
  const body = JSON.parse(stdout) as { container: { id: string; namespace: string; createdAt: string } };
  expect(body.container).toMatchObject({ id: "from-curl", namespace: "curl", createdAt: "2023-11-14T22:13:20.000000001Z" });
});

it("HTTP/2 on the socket is gRPC only: Connect over it is refused with 415", async () => {
  const { stdout } = await run("curl", [
    ...["--silent", "--show-error", "--http2-prior-knowledge", "--unix-socket", fake.socketPath, "--write-out", "%{http_code}"],
    ...["--output", "/dev/null", "-H", "content-type: application/json"],
    ...["--data", '{"id":"from-curl"}', "http://localhost/berth.v1.ContainerService/State"],
  ]);
  expect(stdout).toBe("415");
});

describe("the RPC floor", () => {
  const ROUNDS = 500;

  function median(samples: number[]): number {
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  async function measure(ping: () => Promise<unknown>): Promise<number> {
    for (let i = 0; i < 100; i++) await ping();
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = process.hrtime.bigint();
      await ping();
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    return median(samples);
  }

  it("Ping over the unix socket, GrpcClient and grpc-js", async () => {
    const client = await GrpcClient.connect({ socketPath: fake.socketPath });
    const grpcJs = createGrpcJsClient(fake.socketPath);
    try {
      const connectUs = await measure(() => client.ping());
      const grpcJsUs = await measure(() => grpcJs.unary("SystemService", "Ping", {}));
      console.log(
        `Ping median over ${ROUNDS} calls, both served by grpc-js: GrpcClient (connect-es client) ${connectUs.toFixed(0)} µs, grpc-js client ${grpcJsUs.toFixed(0)} µs`,
      );
    } finally {
      grpcJs.close();
      await client.close();
    }
  });
});
