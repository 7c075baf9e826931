// A call's deadline ends it with DEADLINE_EXCEEDED at the deadline, on both
// stacks (gRPC over HTTP/2 is grpc-js; Connect over HTTP/1.1 is
// connect-node), even for a client that does not enforce its own deadline;
// and a deadlined call leaves nothing held behind: work that cannot be
// interrupted finishes, and the daemon's descriptors come back to what
// they were.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { readdirSync } from "node:fs";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.js";
import { Status } from "../../src/client/types.js";
import { ContainerService, CreateRequestSchema, DeleteRequestSchema, WaitRequestSchema } from "../../src/gen/berth/v1/containers_pb.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";

// How late past its deadline an answer may come: the time to carry it,
// on a loaded machine. (A late success, the failure this guards against,
// fails on its status before its time.)
const SLACK_MS = 1000;

let daemon: TestDaemon;
let client: Client;
let grpcJs: GrpcJsClient;
let sleeper: string;

beforeAll(async () => {
  daemon = await startTestDaemon("deadline");
  client = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  grpcJs = createGrpcJsClient(daemon.socketPath);
  sleeper = daemon.id("sleeper");
  await client.create(sleeper, { process: { args: ["sleep", "600"] } });
}, 60_000);

afterAll(async () => {
  grpcJs?.close();
  for (const c of (await client?.list()) ?? []) await client.delete(c.id, { force: true }).catch(() => {});
  await daemon?.stop();
}, 60_000);

const openFds = () => readdirSync("/proc/self/fd").length;

// eventually polls an asynchronous check until it holds, with a deadline.
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// grpcCall sends one gRPC call over raw HTTP/2 with grpc-timeout, as a
// client that leaves the deadline to the server, and returns its status
// and how long it took.
async function grpcCall<D extends DescMessage>(method: string, schema: D, init: MessageInitShape<D>, timeoutMs: number) {
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(daemon.socketPath) });
  try {
    const bytes = toBinary(schema, create(schema, init));
    const frame = Buffer.alloc(5 + bytes.length);
    frame.writeUInt32BE(bytes.length, 1);
    frame.set(bytes, 5);
    const started = Date.now();
    const stream = session.request({
      ...{ ":method": "POST", ":path": `/berth.v1.ContainerService/${method}`, "content-type": "application/grpc", te: "trailers" },
      ...{ "grpc-timeout": `${timeoutMs}m`, "berth-namespace": daemon.namespace },
    });
    let code: number | undefined;
    stream.on("response", (headers) => headers["grpc-status"] !== undefined && (code = Number(headers["grpc-status"])));
    stream.on("trailers", (trailers) => (code = Number(trailers["grpc-status"])));
    stream.on("data", () => {});
    stream.end(frame);
    await new Promise((resolve) => stream.on("close", resolve));
    return { code, ms: Date.now() - started };
  } finally {
    session.close();
  }
}

// connectCall sends one Connect unary call with connect-timeout-ms, from a
// client that waits for whatever comes.
async function connectCall(method: string, body: object, timeoutMs: number) {
  const started = Date.now();
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        socketPath: daemon.socketPath,
        path: `/berth.v1.ContainerService/${method}`,
        method: "POST",
        headers: { "content-type": "application/json", "connect-timeout-ms": String(timeoutMs), "berth-namespace": daemon.namespace },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
  return { ...answer, ms: Date.now() - started };
}

const connectStack = () =>
  createClient(
    ContainerService,
    createConnectTransport({ baseUrl: "http://localhost", httpVersion: "1.1", nodeOptions: { socketPath: daemon.socketPath } }),
  );

describe("unary calls past their deadline", { timeout: 60_000 }, () => {
  it("Wait ends at its deadline over gRPC and Connect", async () => {
    const g = await grpcCall("Wait", WaitRequestSchema, { id: sleeper }, 300);
    expect(g.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(g.ms).toBeLessThan(300 + SLACK_MS);
    const c = await connectCall("Wait", { id: sleeper }, 300);
    expect([c.status, JSON.parse(c.body).code]).toEqual([504, "deadline_exceeded"]);
    expect(c.ms).toBeLessThan(300 + SLACK_MS);
  });

  it.each(["grpc", "connect"])("Create ends at its deadline over %s, and the container is made whole or not at all", async (stack) => {
    const id = daemon.id(`create-${stack}`);
    const init = { id, process: { args: ["sleep", "600"] } };
    if (stack === "grpc") {
      const g = await grpcCall("Create", CreateRequestSchema, init, 20);
      expect(g.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(g.ms).toBeLessThan(20 + SLACK_MS);
    } else {
      const c = await connectCall("Create", init, 20);
      expect([c.status, JSON.parse(c.body).code]).toEqual([504, "deadline_exceeded"]);
      expect(c.ms).toBeLessThan(20 + SLACK_MS);
    }
    // The create was under way and runs to its end: the container runs.
    await eventually(async () => (await client.state(id).catch(() => undefined))?.status === Status.RUNNING, `${id} to be running`, 20_000);
    await client.delete(id, { force: true });
  });

  it.each(["grpc", "connect"])("Delete ends at its deadline over %s, and the delete finishes", async (stack) => {
    const id = daemon.id(`delete-${stack}`);
    await client.create(id, { process: { args: ["sleep", "600"] } });
    if (stack === "grpc") {
      const g = await grpcCall("Delete", DeleteRequestSchema, { id, force: true }, 10);
      expect(g.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(g.ms).toBeLessThan(10 + SLACK_MS);
    } else {
      const c = await connectCall("Delete", { id, force: true }, 10);
      expect([c.status, JSON.parse(c.body).code]).toEqual([504, "deadline_exceeded"]);
      expect(c.ms).toBeLessThan(10 + SLACK_MS);
    }
    const gone = () => client.state(id).then(() => false, (err: { code?: string }) => err.code === "not_found");
    await eventually(gone, `${id} to be deleted`, 20_000);
  });
});

describe("streams past their deadline", { timeout: 60_000 }, () => {
  it("Logs (follow) and Attach end with DEADLINE_EXCEEDED and hold no descriptor", async () => {
    const before = openFds();
    for (let round = 0; round < 5; round++) {
      const logs = grpcJs.serverStream("ContainerService", "Logs", { id: sleeper, follow: true }, { namespace: daemon.namespace, deadlineMs: 200 });
      logs.on("data", () => {});
      expect(await new Promise<grpc.ServiceError>((resolve) => logs.on("error", resolve))).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });

      const attach = grpcJs.bidiStream("ContainerService", "Attach", { namespace: daemon.namespace, deadlineMs: 200 });
      attach.on("data", () => {});
      attach.write({ start: { id: sleeper } });
      expect(await new Promise<grpc.ServiceError>((resolve) => attach.on("error", resolve))).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });

      const connectLogs = async () => {
        for await (const _ of connectStack().logs({ id: sleeper, follow: true }, { timeoutMs: 200, headers: { "berth-namespace": daemon.namespace } }));
      };
      const err = await connectLogs().then(() => undefined, (e: unknown) => e);
      expect(ConnectError.from(err).code).toBe(Code.DeadlineExceeded);
    }
    // Connections close and log readers stop a moment after their calls.
    await eventually(async () => openFds() <= before, `open descriptors to come back to ${before}`, 5000);
  });
});
