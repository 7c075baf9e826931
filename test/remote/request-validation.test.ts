// Every field of a request is judged before anything is looked up or run,
// against a real daemon on every protocol: strings are decoded exactly as
// sent (a byte order mark kept, invalid UTF-8 refused), times must lie in
// google.protobuf.Timestamp's range, a signal is a number or a name and
// nothing else, and an invalid request is INVALID_ARGUMENT whatever the
// state of the container it names (even one that does not exist). Also
// what HTTP/1.1 callers of Attach hear, and the bound on a JSON body's
// elements, which keeps fromJson from stalling the daemon.
import * as http from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CreateRequestSchema, StateRequestSchema } from "../../src/gen/berth/v1/containers_pb.js";
import { REQUEST_MAX_ELEMENTS, TIMESTAMP_MAX_SECONDS, TIMESTAMP_MIN_SECONDS } from "../../src/spec/request-limits.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { unixPost, type HttpAnswer } from "../fixtures/unix-http.js";

let daemon: TestDaemon;
let client: GrpcJsClient;
let raw: grpc.Client;

beforeAll(async () => {
  daemon = await startTestDaemon("reqval");
  client = createGrpcJsClient(daemon.socketPath);
  raw = new grpc.Client(`unix:${daemon.socketPath}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  raw?.close();
  client?.close();
  await daemon?.stop();
});

// post sends one HTTP/1.1 request to the socket and reads the whole answer.
const post = (path: string, headers: http.OutgoingHttpHeaders, body: Buffer | string, method = "POST") => unixPost(daemon.socketPath, path, headers, body, method);

const json = (a: HttpAnswer) => JSON.parse(a.body.toString("utf8")) as { code: string; message: string };

// status is the code a unary call over grpc-js ends with (0 for OK).
async function status(method: string, request: object, service: "ContainerService" | "EventService" = "ContainerService") {
  try {
    await client.unary(service, method, request, { deadlineMs: 10_000 });
    return { code: grpc.status.OK, details: "" };
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
}

// streamStatus is the code a server stream ends with, or OK as soon as it
// sends a message; a stream still open at the deadline is DEADLINE_EXCEEDED.
function streamStatus(service: "ContainerService" | "EventService", method: string, request: object) {
  return new Promise<{ code: number; details: string }>((resolve) => {
    const stream = client.serverStream(service, method, request, { deadlineMs: 3_000 });
    stream.on("data", () => {
      resolve({ code: grpc.status.OK, details: "" });
      stream.cancel();
    });
    stream.on("error", (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
    stream.on("end", () => resolve({ code: grpc.status.OK, details: "" }));
  });
}

function rawUnary(path: string, bytes: Buffer): Promise<grpc.ServiceError | undefined> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(path, () => bytes, (b: Buffer) => b, {}, (err) => resolve(err ?? undefined));
  });
}

describe("strings are decoded exactly as sent", () => {
  const bomId = "\uFEFFa";

  it("a leading byte order mark is kept, so the id is refused, over gRPC", async () => {
    const answer = await status("Create", { id: bomId, process: { args: ["true"] } });
    expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details).toContain("invalid container id");
    // Nothing named "a" was made of it.
    expect((await status("State", { id: "a" })).code).toBe(grpc.status.NOT_FOUND);
  });

  it("and over Connect, binary and JSON", async () => {
    const bytes = toBinary(CreateRequestSchema, create(CreateRequestSchema, { id: bomId, process: { args: ["true"] } }));
    const binary = await post("/berth.v1.ContainerService/Create", { "content-type": "application/proto" }, Buffer.from(bytes));
    expect(binary.status).toBe(400);
    expect(json(binary)).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("invalid container id") });
    const text = await post("/berth.v1.ContainerService/Create", { "content-type": "application/json" }, JSON.stringify({ id: bomId }));
    expect(json(text)).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("invalid container id") });
    expect((await status("State", { id: "a" })).code).toBe(grpc.status.NOT_FOUND);
  });

  it("invalid UTF-8 in a string field is INVALID_ARGUMENT, on gRPC and Connect", async () => {
    // StateRequest field 1 (id), two bytes that are no UTF-8.
    const bad = Buffer.from([0x0a, 0x02, 0xff, 0xfe]);
    const viaGrpc = await rawUnary("/berth.v1.ContainerService/State", bad);
    expect(viaGrpc).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("not a valid berth.v1.StateRequest") });
    const viaConnect = await post("/berth.v1.ContainerService/State", { "content-type": "application/proto" }, bad);
    expect(json(viaConnect)).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("not a valid berth.v1.StateRequest") });
  });

  it("a valid message still decodes (the strict decoder refuses nothing else)", async () => {
    const bytes = toBinary(StateRequestSchema, create(StateRequestSchema, { id: "no-such-é" }));
    const answer = await rawUnary("/berth.v1.ContainerService/State", Buffer.from(bytes));
    expect(answer?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer?.details).toContain("no-such-é");
  });
});

describe("Timestamps out of google.protobuf.Timestamp's range", () => {
  const bad: [string, { seconds: string; nanos: number }, RegExp][] = [
    ["negative nanos", { seconds: "0", nanos: -1 }, /nanos -1 is out of range: give 0 to 999999999/],
    ["nanos of a whole second", { seconds: "0", nanos: 1_000_000_000 }, /nanos 1000000000 is out of range/],
    ["a second before year 1", { seconds: String(TIMESTAMP_MIN_SECONDS - 1), nanos: 0 }, /seconds -62135596801 is out of range: give a time from 0001-01-01T00:00:00Z to 9999-12-31/],
    ["a second after year 9999", { seconds: String(TIMESTAMP_MAX_SECONDS + 1), nanos: 0 }, /seconds 253402300800 is out of range/],
  ];

  for (const [what, ts, message] of bad) {
    for (const field of ["since", "until"]) {
      it(`Logs ${field} with ${what} is INVALID_ARGUMENT naming the field`, async () => {
        const answer = await streamStatus("ContainerService", "Logs", { id: daemon.id("logs"), [field]: ts });
        expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(answer.details).toMatch(new RegExp(`^${field}\\.`));
        expect(answer.details).toMatch(message);
      });

      it(`Subscribe ${field} with ${what} is INVALID_ARGUMENT, not an open stream`, async () => {
        const answer = await streamStatus("EventService", "Subscribe", { [field]: ts });
        expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(answer.details).toMatch(message);
      });
    }
  }

  it("the range's ends are accepted", async () => {
    const first = { seconds: String(TIMESTAMP_MIN_SECONDS), nanos: 0 };
    const last = { seconds: String(TIMESTAMP_MAX_SECONDS), nanos: 999_999_999 };
    // An unknown container: the times passed, the lookup did not.
    const answer = await streamStatus("ContainerService", "Logs", { id: daemon.id("ends"), since: first, until: last });
    expect(answer.code).toBe(grpc.status.NOT_FOUND);
  });
});

describe("a signal is a decimal number or a name", () => {
  for (const signal of [" 9", "9 ", "\t9", "KILL ", " SIGTERM", "9x", "+9", "-9", "SIG KILL", "0x9"]) {
    it(`${JSON.stringify(signal)} is INVALID_ARGUMENT`, async () => {
      const answer = await status("Signal", { id: daemon.id("sig"), signal });
      expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(answer.details).toContain("neither a number nor a name");
    });
  }

  for (const signal of ["9", "KILL", "SIGKILL", "sigterm", "USR1", "SIGUSR2"]) {
    it(`${JSON.stringify(signal)} passes, and the unknown container is what is wrong`, async () => {
      expect((await status("Signal", { id: daemon.id("sig"), signal })).code).toBe(grpc.status.NOT_FOUND);
    });
  }
});

describe("an invalid request is INVALID_ARGUMENT whatever the container's state", () => {
  // Each names a container that does not exist and has one other field
  // wrong: the field is judged first, so the answer is never NOT_FOUND.
  const unknown = "no-such-container";
  const cases: [string, object][] = [
    ["AddProcess", { id: "bad id!", processId: "init", process: { args: ["true"] } }],
    ["AddProcess", { id: unknown, processId: "init", process: { args: ["true"] } }],
    ["AddProcess", { id: unknown, processId: "e1", process: { args: [] } }],
    ["SignalProcess", { id: unknown, processId: "bad id!", signal: "9" }],
    ["SignalProcess", { id: unknown, processId: "e1", signal: "NOPE!" }],
    ["Signal", { id: "bad id!", signal: "9" }],
    ["Resize", { id: unknown, processId: "", width: 0, height: 10 }],
    ["Resize", { id: unknown, processId: "bad id!", width: 80, height: 24 }],
    ["CloseStdin", { id: unknown, processId: "bad id!" }],
    ["Pause", { id: "bad id!" }],
    ["Resume", { id: "bad id!" }],
    ["Stats", { id: "bad id!" }],
    ["ListPids", { id: "bad id!" }],
    ["Summary", { id: "bad id!" }],
    ["State", { id: "bad id!" }],
    ["Delete", { id: "bad id!" }],
    ["UpdateResources", { id: unknown, resources: { cpusetCpus: "x" } }],
    ["Wait", { id: unknown, processId: "bad id!" }],
    ["Wait", { id: unknown, condition: 99 }],
  ];
  for (const [method, request] of cases) {
    it(`${method} ${JSON.stringify(request)}`, async () => {
      const answer = await status(method, request);
      expect(answer).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    });
  }

  it("Logs and Attach judge the process id before the lookup", async () => {
    expect((await streamStatus("ContainerService", "Logs", { id: unknown, processId: "bad id!" })).code).toBe(grpc.status.INVALID_ARGUMENT);
    const attach = client.bidiStream("ContainerService", "Attach", { deadlineMs: 3_000 });
    const ended = new Promise<number>((resolve) => {
      attach.on("error", (err: grpc.ServiceError) => resolve(err.code));
      attach.on("end", () => resolve(grpc.status.OK));
      attach.on("data", () => {});
    });
    attach.write({ start: { id: unknown, processId: "bad id!" } });
    expect(await ended).toBe(grpc.status.INVALID_ARGUMENT);
  });
});

describe("Attach over HTTP/1.1", () => {
  const path = "/berth.v1.ContainerService/Attach";

  it("a wrong HTTP method is 405 with an error that names the accepted one", async () => {
    const answer = await post(path, {}, "", "GET");
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("POST");
    expect(json(answer)).toMatchObject({ code: "unimplemented", message: expect.stringContaining('http method "GET" is not allowed') });
  });

  it("a wrong content type is 415 saying what is accepted", async () => {
    const answer = await post(path, { "content-type": "text/plain" }, "hello");
    expect(answer.status).toBe(415);
    expect(json(answer)).toMatchObject({ code: "unimplemented", message: expect.stringContaining('content type "text/plain" is not accepted') });
  });

  it("a Connect or gRPC-Web request is 505 saying to use gRPC over HTTP/2", async () => {
    for (const type of ["application/connect+json", "application/connect+proto", "application/grpc-web+proto"]) {
      const answer = await post(path, { "content-type": type }, "");
      expect(answer.status).toBe(505);
      expect(json(answer)).toMatchObject({ code: "unimplemented", message: expect.stringContaining("bidirectional and needs HTTP/2") });
    }
  });
});

describe("a JSON body's elements are bounded before fromJson", () => {
  it("a Create with more elements than a binary request may hold is INVALID_ARGUMENT naming the bound", async () => {
    // Under the 4 MiB body limit, but more entries than any request may
    // hold, in lists each under the largest field bound.
    const list = Array.from({ length: 16_000 }, (_, i) => `K${i}=v`);
    const body = JSON.stringify({ id: daemon.id("json"), process: { args: ["true"] }, x: [list, list, list, list, list] });
    const answer = await post("/berth.v1.ContainerService/Create", { "content-type": "application/json" }, body);
    expect(answer.status).toBe(400);
    expect(json(answer)).toMatchObject({ code: "invalid_argument", message: expect.stringContaining(`more than ${REQUEST_MAX_ELEMENTS} fields`) });
  });

  it("so does a streaming call's enveloped JSON (Subscribe)", async () => {
    const ids = Array.from({ length: 16_000 }, () => "a");
    const message = Buffer.from(JSON.stringify({ x: [ids, ids, ids, ids, ids] }));
    const head = Buffer.alloc(5);
    head.writeUInt32BE(message.length, 1);
    const answer = await post("/berth.v1.EventService/Subscribe", { "content-type": "application/connect+json" }, Buffer.concat([head, message]));
    expect(answer.body.toString("utf8")).toContain(`more than ${REQUEST_MAX_ELEMENTS} fields`);
  });

  // A body under the element budget whose one object or list is past its
  // field's bound is refused on its raw bytes, before fromJson or
  // fromBinary: each body also holds a field the decoder refuses (a
  // hostname that is a number, an id of invalid UTF-8), so an answer naming
  // the bound can only come from the pre-scan. The loop's worst stall is
  // logged (the daemon runs in this process, so it includes this test's
  // own sending): 20-160 ms before the per-field bounds, depending on load
  // (JSON worst), 4-30 ms after (the pre-scan itself takes under 1 ms).
  describe("one list or object past its field's bound is refused before decoding", () => {
    const labels = Object.fromEntries(Array.from({ length: 21_000 }, (_, i) => [`k${i}`, "v"]));
    const args = Array.from({ length: 60_000 }, () => "a");
    // A CreateRequest whose id (field 1) is the one byte 0xff: no UTF-8.
    const binary = () => Buffer.concat([Buffer.from(toBinary(CreateRequestSchema, create(CreateRequestSchema, { process: { args: ["true"] }, labels }))), Buffer.from([0x0a, 0x01, 0xff])]);
    const createJson = (body: string) => async () => json(await post("/berth.v1.ContainerService/Create", { "content-type": "application/json" }, body)).message;
    // Each case builds its body first, then returns the call: only the call
    // is measured, not this process's encoding.
    const cases: Array<[string, () => () => Promise<string>, RegExp]> = [
      ["Connect JSON, 21,000 labels", () => createJson(JSON.stringify({ id: daemon.id("lbl"), process: { args: ["true"] }, labels, hostname: 5 })), /^labels has 21000 entries, over the limit of 128/],
      ["Connect JSON, 60,000 args", () => createJson(JSON.stringify({ id: daemon.id("args"), process: { args }, hostname: 5 })), /^a list or object in the CreateRequest has more than 16384 entries/],
      [
        "Connect binary, 21,000 labels",
        () => {
          const body = binary();
          return async () => json(await post("/berth.v1.ContainerService/Create", { "content-type": "application/proto" }, body)).message;
        },
        /^labels has 21000 entries, over the limit of 128/,
      ],
      [
        "gRPC, 21,000 labels",
        () => {
          const body = binary();
          return async () => (await rawUnary("/berth.v1.ContainerService/Create", body))?.details ?? "OK";
        },
        /^labels has 21000 entries, over the limit of 128/,
      ],
    ];
    it.each(cases)("%s", async (what, prepare, message) => {
      const send = prepare();
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const answer = await send();
      h.disable();
      console.log(`${what}: worst event-loop stall ${(h.max / 1e6).toFixed(1)} ms`);
      expect(answer).toMatch(message);
    });
  });

  it("a JSON body under the bound is served as before", async () => {
    const answer = await post("/berth.v1.ContainerService/State", { "content-type": "application/json" }, JSON.stringify({ id: "no-such" }));
    expect(answer.status).toBe(404);
  });
});
