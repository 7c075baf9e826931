// The grpc-js adapter serves connect ServiceImpls as they are: every method
// kind, the HandlerContext a handler reads (headers, deadline, signal),
// errors as statuses, and the same answers connect-node gives over
// HTTP/1.1 on the same socket.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary, type DescMethodClientStreaming } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttachRequestSchema, AttachResponseSchema, ContainerService, type AttachResponse } from "../../src/gen/berth/v1/containers_pb.js";
import { SystemService } from "../../src/gen/berth/v1/system_pb.js";
import { createGrpcJsServer, methodSpecsOf } from "../../src/remote/grpc-js-adapter.js";
import { startServer, type RunningServer } from "../../src/remote/server.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { until } from "../fixtures/until.js";

interface Seen {
  id: string;
  namespace: string | null;
  timeoutMs: number | undefined;
  protocol: string;
  signal: AbortSignal;
}

const seen: Seen[] = [];
const record = (id: string, ctx: HandlerContext) =>
  seen.push({
    id,
    namespace: ctx.requestHeader.get("berth-namespace"),
    timeoutMs: ctx.timeoutMs(),
    protocol: ctx.protocolName,
    signal: ctx.signal,
  });

// Version is left out on purpose: it must answer UNIMPLEMENTED.
const routes = (router: ConnectRouter) => {
  router.service(SystemService, { ping: async () => ({}) });
  router.rpc(ContainerService.method.state, async (req, ctx) => {
    record(req.id, ctx);
    if (req.id === "plain-error") throw new Error("a detail the client must not see");
    if (req.id === "not-found") throw new ConnectError("no container at /run/x: gone", Code.NotFound);
    if (req.id === "with-metadata") {
      throw new ConnectError("refused", Code.FailedPrecondition, { "x-why": "because", "x-raw-bin": "AAE=", "x-bad": "caf\u00e9" });
    }
    if (req.id === "block") await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    return { container: { id: req.id } };
  });
  router.rpc(ContainerService.method.logs, async function* (req) {
    yield { line: new TextEncoder().encode(`${req.id} 1`) };
    yield { line: new TextEncoder().encode(`${req.id} 2`) };
    throw new ConnectError("the log file went away", Code.Unavailable);
  });
  router.rpc(ContainerService.method.attach, async function* (requests) {
    for await (const r of requests) {
      if (r.message.case === "stdin") yield { message: { case: "output", value: { stream: 1, data: r.message.value } } };
    }
  });
};

let dir: string;
let server: RunningServer;
let client: GrpcJsClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-adapter-"));
  server = await startServer({ socketPath: join(dir, "berth.sock"), routes, graceMs: 500 });
  client = createGrpcJsClient(join(dir, "berth.sock"));
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const lastSeen = (id: string) => seen.filter((s) => s.id === id).at(-1)!;

describe("unary", () => {
  it("answers, with the namespace header, deadline and protocol in the context, and aborts the signal once done", async () => {
    const res = await client.unary("ContainerService", "State", { id: "c1" }, { namespace: "ns-a", deadlineMs: 30_000 });
    expect(res).toMatchObject({ container: { id: "c1" } });
    const ctx = lastSeen("c1");
    expect(ctx).toMatchObject({ namespace: "ns-a", protocol: "grpc" });
    expect(ctx.timeoutMs).toBeGreaterThan(20_000);
    expect(ctx.timeoutMs).toBeLessThanOrEqual(30_000);
    expect(ctx.signal.aborted).toBe(true);
  });

  it("a method the service leaves out is UNIMPLEMENTED", async () => {
    await expect(client.unary("SystemService", "Version", {})).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(client.unary("SystemService", "Ping", {})).resolves.toEqual({});
  });

  it("a ConnectError keeps its code and message; anything else is INTERNAL and hidden, as connect-node does", async () => {
    await expect(client.unary("ContainerService", "State", { id: "not-found" })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "no container at /run/x: gone",
    });
    await expect(client.unary("ContainerService", "State", { id: "plain-error" })).rejects.toMatchObject({
      code: grpc.status.INTERNAL,
      details: "internal error",
    });
  });

  it("a ConnectError's metadata travels as trailers, as far as grpc-js can carry it", async () => {
    const err = await client.unary("ContainerService", "State", { id: "with-metadata" }).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: "refused" });
    const { metadata } = err as grpc.ServiceError;
    expect(metadata.get("x-why")).toEqual(["because"]);
    expect(metadata.get("x-raw-bin")).toEqual([Buffer.from([0, 1])]);
    expect(metadata.get("x-bad")).toEqual([]);
  });

  it("a deadline aborts the handler's signal with DEADLINE_EXCEEDED", async () => {
    await expect(client.unary("ContainerService", "State", { id: "block" }, { deadlineMs: 200 })).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    const { signal } = lastSeen("block");
    await until(() => signal.aborted, "the handler's signal to abort");
    expect(signal.reason).toMatchObject({ code: Code.DeadlineExceeded });
  });
});

describe("streams", () => {
  it("a server stream delivers its messages, then the handler's error as the status", async () => {
    const call = client.serverStream<{ line: Buffer }>("ContainerService", "Logs", { id: "c2" });
    const lines: string[] = [];
    call.on("data", (m: { line: Buffer }) => lines.push(Buffer.from(m.line).toString()));
    const status = await new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    expect(lines).toEqual(["c2 1", "c2 2"]);
    expect(status).toMatchObject({ code: grpc.status.UNAVAILABLE, details: "the log file went away" });
  });

  it("a bidi stream echoes while the client writes and ends OK when it half-closes", async () => {
    const call = client.bidiStream<object, { output?: { data: Buffer } }>("ContainerService", "Attach");
    const got: string[] = [];
    const ended = new Promise((resolve, reject) => {
      call.on("end", resolve);
      call.on("error", reject);
    });
    call.on("data", (m: { output?: { data: Buffer } }) => got.push(Buffer.from(m.output?.data ?? []).toString()));
    call.write({ stdin: Buffer.from("one") });
    await until(() => got.length === 1, "the first echo");
    call.write({ stdin: Buffer.from("two") });
    call.end();
    await ended;
    expect(got).toEqual(["one", "two"]);
  });

  it("a client stream reads every request, then answers once", async () => {
    // berth's protos have no client-streaming method, so this serves Attach's
    // messages under that kind on a bare grpc-js server.
    const attachOnce = { ...ContainerService.method.attach, methodKind: "client_streaming" } as unknown as DescMethodClientStreaming<
      typeof AttachRequestSchema,
      typeof AttachResponseSchema
    >;
    const bare = createGrpcJsServer(
      methodSpecsOf((router) =>
        router.rpc(attachOnce, async (requests) => {
          let data = "";
          for await (const r of requests) if (r.message.case === "stdin") data += new TextDecoder().decode(r.message.value);
          return { message: { case: "output", value: { stream: 1, data: new TextEncoder().encode(data) } } };
        }),
      ),
      new AbortController().signal,
    );
    const socketPath = join(dir, "bare.sock");
    await new Promise<void>((resolve, reject) =>
      bare.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    const raw = new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure());
    try {
      const response = await new Promise<AttachResponse>((resolve, reject) => {
        const call = raw.makeClientStreamRequest(
          "/berth.v1.ContainerService/Attach",
          (m: object) => Buffer.from(toBinary(AttachRequestSchema, create(AttachRequestSchema, m))),
          (b: Buffer) => fromBinary(AttachResponseSchema, b),
          (err, res) => (err || res === undefined ? reject(err ?? new Error("no response")) : resolve(res)),
        );
        call.write({ message: { case: "stdin", value: new TextEncoder().encode("a") } });
        call.write({ message: { case: "stdin", value: new TextEncoder().encode("b") } });
        call.end();
      });
      expect(response.message.case).toBe("output");
      expect(new TextDecoder().decode(response.message.case === "output" ? response.message.value.data : undefined)).toBe("ab");
    } finally {
      raw.close();
      bare.forceShutdown();
    }
  });
});

describe("the same handlers over HTTP/1.1", () => {
  it("connect-node answers Connect on the socket grpc-js shares, with the same results", async () => {
    const transport = createConnectTransport({
      baseUrl: "http://localhost",
      httpVersion: "1.1",
      nodeOptions: { socketPath: join(dir, "berth.sock") },
      interceptors: [
        (next) => async (req) => {
          req.header.set("berth-namespace", "ns-b");
          return next(req);
        },
      ],
    });
    const connect = createClient(ContainerService, transport);
    expect((await connect.state({ id: "c3" })).container?.id).toBe("c3");
    expect(lastSeen("c3")).toMatchObject({ namespace: "ns-b", protocol: "connect" });
    await expect(connect.state({ id: "not-found" })).rejects.toMatchObject({
      code: Code.NotFound,
      rawMessage: "no container at /run/x: gone",
    });
    const lines: string[] = [];
    const consume = async () => {
      for await (const m of connect.logs({ id: "c4" })) lines.push(new TextDecoder().decode(m.line));
    };
    await expect(consume()).rejects.toMatchObject({ code: Code.Unavailable, rawMessage: "the log file went away" });
    expect(lines).toEqual(["c4 1", "c4 2"]);
  });
});
