// A client's mistake gets a status that says so, on every protocol the
// socket speaks: INVALID_ARGUMENT for bytes that are not a request message,
// UNIMPLEMENTED for an unknown method, RESOURCE_EXHAUSTED naming the limit
// for a request too big, a JSON error saying what is accepted for a wrong
// HTTP method or content type; and no status message so long that it
// breaks the status itself.
import * as http from "node:http";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GrpcClient } from "../../src/client/grpc-client.js";
import type { WireProtocol } from "../../src/client/transport.js";
import { invalidArgument } from "../../src/errors/berth-error.js";
import { boundStatusMessage, STATUS_MESSAGE_MAX_BYTES } from "../../src/wire/status.js";
import { startFakeServer, type FakeServer } from "../fixtures/fake-server.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { unixPost, type HttpAnswer } from "../fixtures/unix-http.js";

const LIMIT = 64 * 1024;
// Field 1 (id) says 16 bytes follow; one does.
const NOT_A_MESSAGE = Buffer.from([0x0a, 0x10, 0x61]);

let fake: FakeServer;
let grpcJs: GrpcJsClient;
let raw: grpc.Client;

beforeAll(async () => {
  fake = await startFakeServer({ maxRequestBytes: LIMIT });
  grpcJs = createGrpcJsClient(fake.socketPath);
  raw = new grpc.Client(`unix:${fake.socketPath}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  raw?.close();
  grpcJs?.close();
  await fake?.close();
});

// post sends one HTTP/1.1 request to the socket and reads the whole answer.
const post = (path: string, headers: http.OutgoingHttpHeaders, body: Buffer | string, method = "POST") => unixPost(fake.socketPath, path, headers, body, method);

const json = (a: HttpAnswer) => JSON.parse(a.body.toString("utf8")) as { code: string; message: string };

function envelope(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

// grpcWebStatus reads grpc-status from a gRPC-Web answer: its headers, or
// the trailer frame (flag 0x80) in its body.
function grpcWebStatus(a: HttpAnswer): { code: number; message: string } {
  let text = `grpc-status: ${a.headers["grpc-status"] ?? ""}\r\ngrpc-message: ${a.headers["grpc-message"] ?? ""}`;
  for (let at = 0; at + 5 <= a.body.length; ) {
    const length = a.body.readUInt32BE(at + 1);
    if (a.body[at] === 0x80) text = a.body.subarray(at + 5, at + 5 + length).toString("utf8");
    at += 5 + length;
  }
  const field = (name: string) => /^(.*)$/m.exec(text.split(`${name}:`)[1] ?? "")?.[1]?.trim() ?? "";
  return { code: Number(field("grpc-status")), message: decodeURIComponent(field("grpc-message")) };
}

// rawUnary calls a method over grpc-js with the bytes given as the request.
function rawUnary(path: string, bytes: Buffer): Promise<grpc.ServiceError> {
  return new Promise((resolve, reject) => {
    raw.makeUnaryRequest(path, () => bytes, (b: Buffer) => b, {}, (err) =>
      err ? resolve(err) : reject(new Error(`${path} succeeded with bytes that are not a message`)),
    );
  });
}

describe("bytes that are not a request message", () => {
  // None of them reaches a handler.
  let callsBefore = 0;
  beforeEach(() => {
    callsBefore = fake.hub.calls.length;
  });
  afterEach(() => {
    expect(fake.hub.calls.length).toBe(callsBefore);
  });

  it("are INVALID_ARGUMENT over gRPC, unary and server-streaming", async () => {
    const unary = await rawUnary("/berth.v1.ContainerService/State", NOT_A_MESSAGE);
    expect(unary).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("not a valid berth.v1.StateRequest") });
    const stream = raw.makeServerStreamRequest("/berth.v1.ContainerService/Logs", () => NOT_A_MESSAGE, (b: Buffer) => b, {});
    stream.on("data", () => {});
    const err = await new Promise<grpc.ServiceError>((resolve) => stream.on("error", resolve));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("are 400 invalid_argument over Connect with application/proto", async () => {
    const answer = await post("/berth.v1.ContainerService/State", { "content-type": "application/proto" }, NOT_A_MESSAGE);
    expect(answer.status).toBe(400);
    expect(json(answer)).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("not a valid berth.v1.StateRequest") });
  });

  it("are INVALID_ARGUMENT over gRPC-Web, unary and server-streaming", async () => {
    for (const method of ["State", "Logs"]) {
      const answer = await post(`/berth.v1.ContainerService/${method}`, { "content-type": "application/grpc-web+proto" }, envelope(NOT_A_MESSAGE));
      expect(grpcWebStatus(answer)).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, message: expect.stringContaining("not a valid") });
    }
  });
});

describe("an unknown method, a wrong HTTP method or content type", () => {
  it("an unknown method is UNIMPLEMENTED over gRPC", async () => {
    expect(await rawUnary("/berth.v1.ContainerService/Nope", Buffer.alloc(0))).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it("an unknown method is 404 with Connect's error JSON naming what is served", async () => {
    const answer = await post("/berth.v1.ContainerService/Nope", { "content-type": "application/json" }, "{}");
    expect(answer.status).toBe(404);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(json(answer)).toMatchObject({ code: "unimplemented", message: expect.stringMatching(/^no method "\/berth.v1.ContainerService\/Nope": berth serves POST/) });
  });

  it("GET is 405 with Connect's error JSON and an allow header", async () => {
    const answer = await post("/berth.v1.ContainerService/State", {}, "", "GET");
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe("POST");
    expect(json(answer)).toMatchObject({ code: "unimplemented", message: 'http method "GET" is not allowed: berth.v1.ContainerService/State takes POST' });
  });

  it("an unknown content type is 415 with Connect's error JSON listing the accepted ones", async () => {
    const answer = await post("/berth.v1.ContainerService/State", { "content-type": "text/plain" }, "{}");
    expect(answer.status).toBe(415);
    const { message } = json(answer);
    expect(message).toMatch(/^content type "text\/plain" is not accepted: berth.v1.ContainerService\/State takes application\/json or application\/proto/);
    expect(message).toContain("application/grpc-web+proto");
  });
});

describe("headers Node cannot take", () => {
  it("over its header limit are 431 with Connect's error JSON naming the limit", async () => {
    const answer = await post("/berth.v1.ContainerService/State", { "content-type": "application/json", "berth-namespace": "n".repeat(http.maxHeaderSize) }, "{}");
    expect(answer.status).toBe(431);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(json(answer)).toEqual({ code: "resource_exhausted", message: `the request's headers are over ${http.maxHeaderSize} bytes: send shorter header values` });
  });
});

describe("a UTF-8 namespace header", () => {
  it("is shown as the client wrote it", async () => {
    // Written byte by byte: the header carries the UTF-8 bytes of "équipe/ü".
    const body = '{"id":"a"}';
    const request = Buffer.concat([
      Buffer.from("POST /berth.v1.ContainerService/State HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n", "latin1"),
      Buffer.from("content-type: application/json\r\nberth-namespace: ", "latin1"),
      Buffer.from("équipe/ü", "utf8"),
      Buffer.from(`\r\ncontent-length: ${body.length}\r\n\r\n${body}`, "latin1"),
    ]);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(fake.socketPath, () => socket.end(request));
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    const { code, message } = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { code: string; message: string };
    expect(code).toBe("invalid_argument");
    expect(message).toContain('"équipe/ü"');
  });
});

describe("a request bigger than maxRequestBytes", () => {
  const big = "x".repeat(LIMIT + 1024);

  it("is RESOURCE_EXHAUSTED naming the limit over gRPC (grpc-js)", async () => {
    await expect(grpcJs.unary("ContainerService", "State", { id: big })).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: expect.stringContaining(String(LIMIT)),
    });
  });

  it.each<WireProtocol>(["grpc", "grpc-web", "connect"])("is resource_exhausted naming the limit for GrpcClient over %s", async (protocol) => {
    const client = await GrpcClient.connect({ socketPath: fake.socketPath, protocol });
    try {
      await expect(client.state(big)).rejects.toMatchObject({ code: "resource_exhausted", message: expect.stringContaining(String(LIMIT)) });
    } finally {
      await client.close();
    }
  });

  it("over HTTP/1.1 is answered before its end, not buffered whole", async () => {
    const { answer, sent } = await new Promise<{ answer: HttpAnswer; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = http.request(
        { socketPath: fake.socketPath, path: "/berth.v1.ContainerService/State", method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            resolve({ answer: { status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }, sent });
            req.destroy();
          });
        },
      );
      req.on("error", (err) => (answered ? undefined : reject(err)));
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      // Keeps sending, never ending the body, until the answer comes; a
      // server that buffered the whole body would never answer.
      const pump = () => {
        while (!answered && sent < 256 * LIMIT) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        if (!answered) reject(new Error(`no answer after ${sent} bytes`));
      };
      req.write("{");
      pump();
    });
    expect(answer.status).toBe(429);
    expect(json(answer)).toMatchObject({ code: "resource_exhausted", message: expect.stringContaining(String(LIMIT)) });
    expect(sent).toBeLessThan(64 * LIMIT);
  });
});

describe("a status message", () => {
  it("is cut to STATUS_MESSAGE_MAX_BYTES on a character boundary, with its full size", () => {
    expect(boundStatusMessage("short")).toBe("short");
    const cut = boundStatusMessage("é".repeat(3000));
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(STATUS_MESSAGE_MAX_BYTES);
    expect(cut).not.toContain("\uFFFD");
    expect(cut).toMatch(/^é+… \(message cut: 6000 bytes\)$/);
  });

  it("that is huge reaches a default grpc-js client cut to 1 KiB, with its code", async () => {
    fake.hub.failNext("state", invalidArgument(`invalid container id "${"x".repeat(10_000)}"`));
    const err = await grpcJs.unary("ContainerService", "State", { id: "a" }).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^invalid container id "x+… \(message cut: 10023 bytes\)$/) });
  });

  it.each<WireProtocol>(["grpc", "grpc-web", "connect"])("that is huge reaches GrpcClient over %s cut, with its code", async (protocol) => {
    const client = await GrpcClient.connect({ socketPath: fake.socketPath, protocol });
    try {
      fake.hub.failNext("state", invalidArgument(`invalid container id "${"x".repeat(10_000)}"`));
      const err = (await client.state("a").catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe("invalid_argument");
      expect(Buffer.byteLength(err.message)).toBeLessThanOrEqual(STATUS_MESSAGE_MAX_BYTES);
    } finally {
      await client.close();
    }
  });
});
