// Authorization per namespace over mTLS, against a real daemon: the client
// certificate's names (cn:..., uri:...) map to the namespaces it may use.
// Every RPC the protos declare is called (table-driven from the
// inventory, so a new RPC is covered as a namespaced one by default) by an
// identity allowed only "ci": PERMISSION_DENIED naming the namespace in
// "prod", anything else in "ci"; the daemon-wide changes need "*"; an
// unknown certificate gets nothing; the unix socket is not asked.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { SubscribeRequestSchema } from "../../src/gen/berth/v1/events_pb.js";
import { CreateRequestSchema } from "../../src/gen/berth/v1/containers_pb.js";
import { createLogger } from "../../src/log/create-logger.js";
import { rpcInventory, type RpcInfo } from "../hostile/rpc-inventory.js";
import { makeCa, makeCert, type Pems } from "../fixtures/test-certs.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

// The spec of which calls are not a namespace's (src/remote/authorized-service.ts).
const DAEMON_WIDE = new Set(["SystemService/UpdateOptions", "NetworkService/CreateNetwork", "NetworkService/RemoveNetwork", "ImageService/Tag", "ImageService/Remove", "ImageService/Prune", "ImageService/Login", "ImageService/Logout"]);
const NAMESPACE_FREE = new Set([
  "SystemService/Version",
  "SystemService/Ping",
  "SystemService/Info",
  "NetworkService/ListNetworks",
  "NetworkService/InspectNetwork",
  "ImageService/List",
  "ImageService/Inspect",
  "ImageService/Pull",
  "ImageService/Load",
  "ImageService/Save",
]);

let dir: string;
let daemon: TestDaemon;
let ca: Pems;
const certs: Record<string, Pems> = {};
const denials: string[] = [];
// warnings holds the daemon's log lines at warn, parsed.
const warnings: Array<Record<string, unknown>> = [];
const sink = {
  write(chunk: string) {
    for (const line of chunk.split("\n").filter((l) => l !== "")) warnings.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  },
} as unknown as NodeJS.WritableStream;
let target: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-authz-"));
  ca = await makeCa(dir, "ca");
  const server = await makeCert(dir, "server", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  certs.ci = await makeCert(dir, "ci", "ca", "extendedKeyUsage=clientAuth");
  certs.admin = await makeCert(dir, "admin", "ca", "subjectAltName=URI:spiffe://berth.test/admin\nextendedKeyUsage=clientAuth");
  certs.nobody = await makeCert(dir, "nobody", "ca", "extendedKeyUsage=clientAuth");
  daemon = await startTestDaemon("authz", {
    tcp: { host: "127.0.0.1", port: 0, tls: { cert: server.cert, key: server.key, clientCa: ca.cert } },
    authorization: [
      { identity: "cn:ci", namespaces: ["ci"] },
      { identity: "uri:spiffe://berth.test/admin", namespaces: ["*"] },
    ],
    onError: (err) => denials.push((err as Error).message),
    logger: createLogger({ level: "warn", destination: sink }),
  });
  target = daemon.remote.tcpAddress!;
}, 60_000);

afterAll(async () => {
  for (const ns of ["ci", "prod"]) {
    const c = await daemon.remote.client(undefined, { namespace: ns });
    for (const x of await c.list()) await c.delete(x.id, { force: true });
    await c.close();
  }
  await daemon.stop();
  await rm(dir, { recursive: true, force: true });
});

const clients = new Map<string, grpc.Client>();
function clientOf(who: string): grpc.Client {
  let c = clients.get(who);
  if (c === undefined) {
    const pems = certs[who]!;
    c = new grpc.Client(target, grpc.credentials.createSsl(ca.cert, pems.key, pems.cert));
    clients.set(who, c);
  }
  return c;
}
afterAll(() => {
  for (const c of clients.values()) c.close();
});

// call sends one request of raw bytes (empty: every field at its default)
// and returns the status it ended with. The short default deadline ends
// the streams that would run on; a call that must finish gets longer.
function call(who: string, rpc: RpcInfo, namespace: string, body: Uint8Array = new Uint8Array(), deadlineMs = 2000): Promise<{ code: number; details: string }> {
  const client = clientOf(who);
  const metadata = new grpc.Metadata();
  metadata.set("berth-namespace", namespace);
  const options = { deadline: Date.now() + deadlineMs };
  const id = (b: Buffer) => b;
  const bytes = Buffer.from(body);
  return new Promise((resolve) => {
    const done = (err: grpc.ServiceError | null) => resolve(err === null ? { code: 0, details: "" } : { code: err.code, details: err.details });
    if (!rpc.requestStream && !rpc.responseStream) {
      client.makeUnaryRequest(rpc.path, id, id, bytes, metadata, options, (err) => done(err));
      return;
    }
    const stream = rpc.requestStream
      ? rpc.responseStream
        ? client.makeBidiStreamRequest(rpc.path, id, id, metadata, options)
        : client.makeClientStreamRequest(rpc.path, id, id, metadata, options, (err) => done(err))
      : client.makeServerStreamRequest(rpc.path, id, id, bytes, metadata, options);
    if (rpc.requestStream) (stream as grpc.ClientWritableStream<Buffer>).end();
    if (rpc.responseStream) {
      stream.on("data", () => {});
      stream.on("error", (err: grpc.ServiceError) => done(err));
      stream.on("end", () => done(null));
    }
  });
}

const namespaced = rpcInventory().filter((r) => !DAEMON_WIDE.has(r.name) && !NAMESPACE_FREE.has(r.name));

describe("authorization per namespace over mTLS", () => {
  it.each(namespaced)("$name: cn:ci is refused in prod, naming it, and let through in ci", async (rpc) => {
    const refused = await call("ci", rpc, "prod");
    expect(refused.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused.details).toBe(`berth.v1.${rpc.name}: the client certificate (cn:ci) may not use namespace "prod"; it may use ci`);
    expect((await call("ci", rpc, "ci")).code).not.toBe(grpc.status.PERMISSION_DENIED);
  });

  it.each(rpcInventory().filter((r) => DAEMON_WIDE.has(r.name)))("$name changes what every namespace shares: refused to cn:ci, let through for *", async (rpc) => {
    const refused = await call("ci", rpc, "ci");
    expect(refused.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused.details).toMatch(/may not use every namespace; it may use ci$/);
    expect((await call("admin", rpc, "ci")).code).not.toBe(grpc.status.PERMISSION_DENIED);
  });

  it.each(rpcInventory().filter((r) => NAMESPACE_FREE.has(r.name)))("$name reads the daemon: any identity with a namespace, whatever the header", async (rpc) => {
    expect((await call("ci", rpc, "prod")).code).not.toBe(grpc.status.PERMISSION_DENIED);
    const nobody = await call("nobody", rpc, "ci");
    expect(nobody.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(nobody.details).toMatch(/the client certificate \(cn:nobody\) may not use this daemon; it may use no namespace$/);
  });

  it.each(rpcInventory())("$name: a certificate no rule names gets nothing; the * identity everything", async (rpc) => {
    expect((await call("nobody", rpc, "ci")).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await call("admin", rpc, "prod")).code).not.toBe(grpc.status.PERMISSION_DENIED);
  });

  it("Subscribe with all_namespaces needs *", async () => {
    const subscribe = rpcInventory().find((r) => r.name === "EventService/Subscribe")!;
    const all = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { allNamespaces: true }));
    const refused = await call("ci", subscribe, "ci", all);
    expect(refused.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused.details).toMatch(/cn:ci\) may not use every namespace/);
    // Past the check, the admin's stream runs until its deadline.
    expect((await call("admin", subscribe, "ci", all)).code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it("cn:ci runs a container in ci; the unix socket, gated by its mode, is not asked; refusals are counted, reported and logged", async () => {
    const createRpc = rpcInventory().find((r) => r.name === "ContainerService/Create")!;
    const id = daemon.id("ci-box");
    expect(await call("ci", createRpc, "ci", toBinary(CreateRequestSchema, create(CreateRequestSchema, { id, process: { args: ["true"] }, start: false })), 30_000)).toEqual({ code: 0, details: "" });
    const ci = await daemon.remote.client(undefined, { namespace: "ci" });
    expect((await ci.list()).map((c) => c.id)).toEqual([id]);
    await ci.delete(id);
    await ci.close();
    const unix = new grpc.Client(`unix:${daemon.socketPath}`, grpc.credentials.createInsecure());
    const list = rpcInventory().find((r) => r.name === "ContainerService/List")!;
    const metadata = new grpc.Metadata();
    metadata.set("berth-namespace", "prod");
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      unix.makeUnaryRequest(list.path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), metadata, { deadline: Date.now() + 5000 }, resolve),
    );
    unix.close();
    expect(err).toBeNull();
    const metrics = await fetchMetrics(daemon.socketPath);
    expect(Number(/^berth_permission_denied_total\{namespace="prod"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(namespaced.length);
    expect(denials).toContain("authorization refused berth.v1.ContainerService/Create in namespace prod to cn:ci");
    // Every refusal is a warn line naming the method, the namespace and the
    // certificate, as many lines as the counter says.
    const refusals = warnings.filter((l) => l.denied !== undefined);
    expect(refusals).toContainEqual(
      expect.objectContaining({ level: 40, msg: "authorization refused berth.v1.ContainerService/Create in namespace prod to cn:ci", denied: { method: "berth.v1.ContainerService/Create", namespace: "namespace prod", identity: "cn:ci" } }),
    );
    expect(refusals.some((l) => l.msg === "authorization refused berth.v1.SystemService/UpdateOptions in every namespace to cn:ci")).toBe(true);
    const counted = [...metrics.matchAll(/^berth_permission_denied_total\{namespace="[^"]*"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(refusals.length).toBe(counted);
  });
});

async function fetchMetrics(socketPath: string): Promise<string> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    request({ socketPath, path: "/metrics" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve(text));
    })
      .on("error", reject)
      .end();
  });
}
