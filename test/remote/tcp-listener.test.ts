// TCP safe by default, with a CA the test makes (openssl): TLS serves gRPC,
// Connect and reflection through the same routing as the unix socket; mTLS
// refuses a client without a certificate and one another CA signed before
// any handler runs; plain TCP only with insecure, only on loopback. The
// unix socket's mode and group are settings.
import * as https from "node:https";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { berthRoutes, startServer, type RunningServer } from "../../src/remote/server.js";
import { FakeHub } from "../fixtures/fake-client.js";
import { createGrpcJsClient } from "../fixtures/grpc-js-client.js";
import { ReflectionClient } from "../fixtures/reflection-client.js";
import { sampleInfo, sampleVersion } from "../fixtures/sample-messages.js";
import { makeCa, makeCert, type Pems } from "../fixtures/test-certs.js";

const hub = new FakeHub();
let versionCalls = 0;
const routes = berthRoutes({
  clientFor: hub.clientFor,
  version: async () => {
    versionCalls++;
    return sampleVersion;
  },
  info: async () => sampleInfo(),
});
let dir: string;
let ca: Pems;
let server: Pems;
let client: Pems;
let stranger: Pems;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-tcp-"));
  ca = await makeCa(dir, "ca");
  await makeCa(dir, "other-ca");
  server = await makeCert(dir, "server", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  client = await makeCert(dir, "client", "ca", "extendedKeyUsage=clientAuth");
  stranger = await makeCert(dir, "stranger", "other-ca", "extendedKeyUsage=clientAuth");
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serve(name: string, tcp: Parameters<typeof startServer>[0]["tcp"]): Promise<RunningServer> {
  return startServer({ socketPath: join(dir, `${name}.sock`), routes, tcp });
}

// version calls Version over gRPC on TCP and says how it ended.
async function version(address: string, credentials: grpc.ChannelCredentials): Promise<{ ok: boolean; code?: number }> {
  const c = createGrpcJsClient(address, credentials);
  try {
    await c.unary("SystemService", "Version", {}, { deadlineMs: 5000 });
    return { ok: true };
  } catch (err) {
    return { ok: false, code: (err as grpc.ServiceError).code };
  } finally {
    c.close();
  }
}

function httpsPost(address: string, path: string, body: string, pems: Partial<Pems> & { ca: Buffer }): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const req = https.request({ host, port: Number(port), path, method: "POST", headers: { "content-type": "application/json" }, ...pems, servername: "localhost" }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("tcp with tls", () => {
  it("serves gRPC, Connect JSON and reflection on the same routing as the unix socket", async () => {
    const s = await serve("tls", { host: "127.0.0.1", port: 0, tls: server });
    try {
      expect(await version(s.tcpAddress!, grpc.credentials.createSsl(ca.cert))).toEqual({ ok: true });
      const answer = await httpsPost(s.tcpAddress!, "/berth.v1.SystemService/Version", "{}", { ca: ca.cert });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ runtime: "runc" });
      // Reflection is served by the grpc-js stack only: answering it proves
      // TCP gRPC reaches grpc-js.
      const reflection = new ReflectionClient(s.tcpAddress!, "v1", grpc.credentials.createSsl(ca.cert));
      try {
        expect(await reflection.listServices()).toContain("berth.v1.ContainerService");
      } finally {
        reflection.close();
      }
    } finally {
      await s.close();
    }
  });

  it("refuses a certificate and key that do not go together, naming the listener", async () => {
    await expect(serve("bad-pair", { host: "127.0.0.1", port: 0, tls: { cert: server.cert, key: client.key } })).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("tcp 127.0.0.1:0"),
    });
  });
});

describe("tcp with mtls", () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await serve("mtls", { host: "127.0.0.1", port: 0, tls: { ...server, clientCa: ca.cert } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("serves a client whose certificate the client CA signed", async () => {
    expect(await version(s.tcpAddress!, grpc.credentials.createSsl(ca.cert, client.key, client.cert))).toEqual({ ok: true });
  });

  it("refuses a client with no certificate, and one another CA signed, before any handler runs", async () => {
    const before = versionCalls;
    expect(await version(s.tcpAddress!, grpc.credentials.createSsl(ca.cert))).toEqual({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(await version(s.tcpAddress!, grpc.credentials.createSsl(ca.cert, stranger.key, stranger.cert))).toEqual({ ok: false, code: grpc.status.UNAVAILABLE });
    await expect(httpsPost(s.tcpAddress!, "/berth.v1.SystemService/Version", "{}", { ca: ca.cert })).rejects.toThrow();
    await expect(httpsPost(s.tcpAddress!, "/berth.v1.SystemService/Version", "{}", { ca: ca.cert, ...stranger })).rejects.toThrow();
    expect(versionCalls).toBe(before);
    // The right client, over Connect JSON, still gets in.
    const answer = await httpsPost(s.tcpAddress!, "/berth.v1.SystemService/Version", "{}", { ca: ca.cert, ...client });
    expect(answer.status).toBe(200);
    expect(versionCalls).toBe(before + 1);
  });
});

describe("plain tcp", () => {
  it("is refused without insecure, and with insecure off loopback", async () => {
    await expect(serve("plain", { host: "127.0.0.1", port: 0 })).rejects.toMatchObject({ code: "invalid_argument", message: expect.stringContaining("without tls") });
    await expect(serve("plain-any", { host: "0.0.0.0", port: 0, insecure: true })).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("not a loopback address"),
    });
    await expect(stat(join(dir, "plain-any.sock"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("serves on loopback with insecure", async () => {
    const s = await serve("insecure", { host: "127.0.0.1", port: 0, insecure: true });
    try {
      expect(await version(s.tcpAddress!, grpc.credentials.createInsecure())).toEqual({ ok: true });
    } finally {
      await s.close();
    }
  });
});

describe("unix socket access", () => {
  it("takes its mode and group from the settings", async () => {
    const socketPath = join(dir, "shared", "berth.sock");
    const s = await startServer({ socketPath, routes, socketAccess: { mode: 0o660, gid: 1 } });
    try {
      const st = await stat(socketPath);
      expect(st.mode & 0o777).toBe(0o660);
      expect(st.gid).toBe(1);
      // Group members must be able to reach it through the folder berth made.
      expect((await stat(join(dir, "shared"))).mode & 0o777).toBe(0o711);
    } finally {
      await s.close();
    }
  });

  it("refuses a mode that locks the owner out", async () => {
    await expect(startServer({ socketPath: join(dir, "locked.sock"), routes, socketAccess: { mode: 0o444 } })).rejects.toMatchObject({ code: "invalid_argument" });
  });
});
