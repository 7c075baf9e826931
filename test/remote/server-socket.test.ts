// The server's socket: private to its owner, never stolen from a live daemon,
// reclaimed from a dead one, and removed on close. TCP only with TLS.
import { execFile } from "node:child_process";
import * as net from "node:net";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpcClient } from "../../src/client/grpc-client.js";
import type { WireProtocol } from "../../src/client/transport.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { berthRoutes, startServer } from "../../src/remote/server.js";
import { FakeHub } from "../fixtures/fake-client.js";
import { startFakeServer, type FakeServer } from "../fixtures/fake-server.js";
import { createGrpcJsClient } from "../fixtures/grpc-js-client.js";
import { sampleInfo, sampleVersion } from "../fixtures/sample-messages.js";
import { until } from "../fixtures/until.js";

const run = promisify(execFile);
const hub = new FakeHub();
const routes = berthRoutes({ clientFor: hub.clientFor, version: async () => sampleVersion, info: async () => sampleInfo() });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-sock-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("unix socket", () => {
  let fake: FakeServer;

  beforeAll(async () => {
    fake = await startFakeServer();
  });

  afterAll(async () => {
    await fake?.close();
  });

  it("is 0600 in a folder made 0700", async () => {
    expect((await stat(fake.socketPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(fake.dir, "run"))).mode & 0o777).toBe(0o700);
    expect(fake.server.address).toBe(`unix:${fake.socketPath}`);
  });

  it("a second server on the same socket fails clearly while the first is alive", async () => {
    const err = await startServer({ socketPath: fake.socketPath, routes }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect(err).toMatchObject({ code: "already_exists", message: `another berth daemon is serving ${fake.socketPath}` });
    const client = await GrpcClient.connect({ socketPath: fake.socketPath });
    await client.ping(); // the first server was not disturbed
    await client.close();
  });
});

describe("socket path", () => {
  it("a stale socket left by a killed daemon is replaced, and close removes the socket", async () => {
    const socketPath = join(dir, "stale.sock");
    // A process that binds the socket and dies without cleaning up.
    const bindAndDie = `require("net").createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, "SIGKILL"))`;
    await run(process.execPath, ["-e", bindAndDie]).catch(() => undefined);
    expect((await stat(socketPath)).isSocket()).toBe(true);
    const server = await startServer({ socketPath, routes });
    const client = await GrpcClient.connect({ socketPath });
    await client.ping();
    await client.close();
    await server.close();
    await expect(stat(socketPath)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a file that is not a socket is left alone", async () => {
    const socketPath = join(dir, "precious.txt");
    await writeFile(socketPath, "keep me");
    await expect(startServer({ socketPath, routes })).rejects.toMatchObject({ code: "failed_precondition" });
    expect(await readFile(socketPath, "utf8")).toBe("keep me");
  });

  it("a client of a socket nobody serves fails with UNAVAILABLE", async () => {
    await expect(GrpcClient.connect({ socketPath: join(dir, "nobody.sock") })).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("cannot reach a berth daemon at"),
    });
  });
});

describe("tcp", () => {
  it("is refused without tls", async () => {
    const socketPath = join(dir, "tcp-plain.sock");
    await expect(startServer({ socketPath, routes, tcp: { host: "127.0.0.1", port: 0 } })).rejects.toMatchObject({
      code: "invalid_argument",
    });
    await expect(stat(socketPath)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("serves gRPC over tls", async () => {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    await run("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ]);
    const tls = { cert: await readFile(cert), key: await readFile(key) };
    const server = await startServer({ socketPath: join(dir, "tcp.sock"), routes, tcp: { host: "127.0.0.1", port: 0, tls } });
    const client = createGrpcJsClient(server.tcpAddress!, grpc.credentials.createSsl(tls.cert));
    try {
      expect(server.tcpAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      await expect(client.unary("SystemService", "Version", {})).resolves.toMatchObject({ runtime: "runc" });
      // Attach is interactive over TLS too: output comes back while the
      // call is still open, before its input ends.
      const attach = client.bidiStream("ContainerService", "Attach");
      const echoed = new Promise<{ output?: { data: Buffer } }>((resolve, reject) => {
        attach.once("data", resolve);
        attach.once("error", reject);
      });
      attach.write({ start: { id: "c1" } });
      attach.write({ stdin: Buffer.from("over tls") });
      expect(Buffer.from((await echoed).output!.data).toString()).toBe("over tls");
      attach.end();
      await new Promise((resolve) => attach.on("end", resolve).on("error", resolve).resume());
    } finally {
      client.close();
      await server.close();
    }
  });
});

// Close's grace is 30 s and each close must end well inside it (10 s):
// a close that waited for the grace fails, and a loaded host's slowness
// (seconds at worst) does not.
const GRACE_MS = 30_000;
const WELL_INSIDE_GRACE_MS = 10_000;

describe("close", () => {
  it.each<WireProtocol>(["grpc", "connect"])("ends open %s streams with UNAVAILABLE and does not wait for them", async (protocol) => {
    const fake = await startFakeServer({ graceMs: GRACE_MS });
    const client = await GrpcClient.connect({ socketPath: fake.socketPath, protocol });
    try {
      const consumed = (async () => {
        for await (const _ of client.subscribe()) throw new Error("no event expected");
      })().then(
        () => new Error("the stream ended without an error"),
        (err: unknown) => err,
      );
      await until(() => fake.hub.subscriptions.length > 0, "the subscription to open");
      const started = Date.now();
      await fake.close();
      expect(Date.now() - started).toBeLessThan(WELL_INSIDE_GRACE_MS);
      expect(await consumed).toMatchObject({ code: "unavailable", message: "berth daemon is shutting down" });
    } finally {
      await client.close();
    }
  });

  it("does not wait for connections that carry no call", async () => {
    const fake = await startFakeServer({ graceMs: GRACE_MS });
    // An HTTP/2 (grpc-js) connection and an HTTP/1.1 keep-alive connection,
    // each after a finished call, and a connection that never sent a byte.
    const grpcClient = await GrpcClient.connect({ socketPath: fake.socketPath });
    const connectClient = await GrpcClient.connect({ socketPath: fake.socketPath, protocol: "connect" });
    const silent = net.connect(fake.socketPath);
    await new Promise((resolve) => silent.once("connect", resolve));
    const silentClosed = new Promise((resolve) => silent.once("close", resolve));
    silent.on("error", () => {});
    try {
      const started = Date.now();
      await fake.close();
      expect(Date.now() - started).toBeLessThan(WELL_INSIDE_GRACE_MS);
      await silentClosed;
    } finally {
      await grpcClient.close();
      await connectClient.close();
      silent.destroy();
    }
  });
});
