// Each BerthError code leaves the server as its gRPC status and comes back to
// a GrpcClient as the same BerthError, code and message.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { BerthError, type ErrorCode } from "../../src/errors/berth-error.js";
import { fromConnectError, toConnectError } from "../../src/wire/status.js";
import { startFakeServer, type FakeServer } from "../fixtures/fake-server.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";

// The numbers are gRPC's, spelled out so that a mistake in the table cannot
// hide behind the same table.
const STATUS: Record<ErrorCode, number> = {
  canceled: 1,
  invalid_argument: 3,
  deadline_exceeded: 4,
  not_found: 5,
  already_exists: 6,
  resource_exhausted: 8,
  failed_precondition: 9,
  aborted: 10,
  out_of_range: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  data_loss: 15,
  permission_denied: 7,
  unauthenticated: 16,
};
const CODES = Object.keys(STATUS) as ErrorCode[];

describe("status mapping", () => {
  it.each(CODES)("%s maps to its status and back", (code) => {
    const sent = toConnectError(new BerthError(code, `cannot do it: ${code}`));
    expect(sent.code).toBe(STATUS[code]);
    expect(sent.rawMessage).toBe(`cannot do it: ${code}`);
    const back = fromConnectError(sent);
    expect(back).toBeInstanceOf(BerthError);
    expect([back.code, back.message]).toEqual([code, `cannot do it: ${code}`]);
  });

  it("anything else is INTERNAL with its message, never UNKNOWN", () => {
    expect(toConnectError(new TypeError("x is undefined"))).toMatchObject({ code: Code.Internal, rawMessage: "x is undefined" });
    expect(toConnectError("plain string")).toMatchObject({ code: Code.Internal, rawMessage: "plain string" });
  });

  it("a ConnectError keeps its own verdict", () => {
    const deadline = new ConnectError("the operation timed out", Code.DeadlineExceeded);
    expect(toConnectError(deadline)).toBe(deadline);
  });

  it("statuses berth never sends come back as internal, naming the status", () => {
    const back = fromConnectError(new ConnectError("no", Code.Unknown));
    expect([back.code, back.message]).toEqual(["internal", "Unknown: no"]);
  });
});

describe("status codes over the wire", () => {
  let fake: FakeServer;
  let client: GrpcClient;
  let grpcJs: GrpcJsClient;

  beforeAll(async () => {
    fake = await startFakeServer();
    client = await GrpcClient.connect({ socketPath: fake.socketPath });
    grpcJs = createGrpcJsClient(fake.socketPath);
  });

  afterAll(async () => {
    grpcJs?.close();
    await client?.close();
    await fake?.close();
  });

  it.each(CODES)("%s reaches GrpcClient as the same BerthError", async (code) => {
    fake.hub.failNext("state", new BerthError(code, `state failed: ${code}`));
    const err = await client.state("c1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect(err).toMatchObject({ code, message: `state failed: ${code}` });
  });

  it.each(CODES)("%s reaches grpc-js as status %#", async (code) => {
    fake.hub.failNext("pause", new BerthError(code, `pause failed: ${code}`));
    await expect(grpcJs.unary("ContainerService", "Pause", { id: "c1" })).rejects.toMatchObject({
      code: STATUS[code],
      details: `pause failed: ${code}`,
    });
  });

  it("messages keep ':', '/', '%', newlines and non-ASCII for both clients", async () => {
    const message = "cannot open /run/berth/x.json: 100% gone\nrunc said: « non trouvé » 🙃";
    fake.hub.failNext("state", new BerthError("not_found", message));
    await expect(client.state("c1")).rejects.toMatchObject({ code: "not_found", message });
    fake.hub.failNext("state", new BerthError("not_found", message));
    await expect(grpcJs.unary("ContainerService", "State", { id: "c1" })).rejects.toMatchObject({ code: 5, details: message });
  });

  it("a plain Error from the engine is INTERNAL with its message", async () => {
    fake.hub.failNext("stats", new Error("cgroup file vanished"));
    await expect(client.stats("c1")).rejects.toMatchObject({ code: "internal", message: "cgroup file vanished" });
  });

  it("errors in a server stream arrive as the same BerthError", async () => {
    fake.hub.failNext("subscribe", new BerthError("out_of_range", "sequence 3 is older than the journal"));
    const consume = async () => {
      for await (const _ of client.subscribe({ sinceSequence: 3n })) throw new Error("no event expected");
    };
    await expect(consume()).rejects.toMatchObject({ code: "out_of_range", message: "sequence 3 is older than the journal" });
  });

  it("attach crosses the wire both ways for a client that knows only the .proto files", async () => {
    const call = grpcJs.bidiStream("ContainerService", "Attach");
    const got: Array<{ output?: { stream: string; data: Buffer }; exit?: { exitCode: number } }> = [];
    call.on("data", (m: (typeof got)[number]) => got.push(m));
    const ended = new Promise((resolve, reject) => {
      call.on("end", resolve);
      call.on("error", reject);
    });
    call.write({ start: { id: "c1", processId: "init", logs: true } });
    call.write({ stdin: Buffer.from("hi") });
    call.write({ resize: { width: 80, height: 24 } });
    call.write({ closeStdin: true });
    call.end();
    await ended;
    expect(got.map((m) => (m.output ? `${m.output.stream}:${Buffer.from(m.output.data).toString()}` : `exit:${m.exit?.exitCode}`))).toEqual([
      "1:hi",
      "2:80x24",
      "exit:-1",
    ]);
    const [, options] = fake.hub.callsOf("attach").at(-1)!.args as [string, { processId?: string; logs?: boolean }];
    expect(options).toMatchObject({ processId: "init", logs: true });
  });

  it("an attach stream that does not begin with start is INVALID_ARGUMENT", async () => {
    const call = grpcJs.bidiStream("ContainerService", "Attach");
    call.write({ stdin: Buffer.from("too early") });
    call.end();
    const status = await new Promise<{ code: number }>((resolve) => call.on("error", resolve));
    expect(status.code).toBe(STATUS.invalid_argument);
  });
});
