// The daemon's log on a real daemon (real runc and conmon): JSON lines,
// lifecycle lines naming the container, one line per RPC on both stacks
// (grpc-js and Connect) with its method and code, the level changed while it
// runs through Remote.updateOptions and the UpdateOptions RPC over both
// clients, and never an environment value or a request body in any line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { GrpcClient } from "../../src/client/grpc-client.js";
import type { Client } from "../../src/client/client.js";
import { createLogger } from "../../src/log/create-logger.js";
import { Remote } from "../../src/remote/remote.js";
import { unixPost } from "../fixtures/unix-http.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

// lines holds every line the daemon wrote, parsed.
const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];
const sink = {
  write(chunk: string) {
    for (const line of chunk.split("\n").filter((l) => l !== "")) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  },
} as unknown as NodeJS.WritableStream;

let daemon: TestDaemon;
let grpc: GrpcClient;
let local: Client;
const made: string[] = [];
const SECRET = "hunter2-Zq8vX1";

beforeAll(async () => {
  daemon = await startTestDaemon("logs", { logger: createLogger({ level: "info", destination: sink }) });
  grpc = await GrpcClient.connect({ socketPath: daemon.socketPath, namespace: daemon.namespace });
  local = await daemon.remote.client(undefined, { namespace: daemon.namespace });
}, 30_000);

afterAll(async () => {
  for (const id of made) await grpc.delete(id, { force: true }).catch(() => {});
  await grpc?.close();
  await local?.close();
  await daemon?.stop();
}, 60_000);

const rpcLines = (method: string) => lines.filter((l) => (l.rpc as { method?: string } | undefined)?.method === method);
const since = (mark: number) => lines.slice(mark);

describe("the daemon's log", () => {
  it("writes lifecycle lines as JSON with the namespace, container id, process and exit code", async () => {
    const id = daemon.id("life");
    made.push(id);
    await grpc.create(id, { process: { args: ["sh", "-c", "exit 3"] } });
    expect((await grpc.wait(id)).exitCode).toBe(3);
    await grpc.delete(id);
    await until(() => lines.some((l) => l.container === id && l.msg === "container deleted"), "the delete line");
    const mine = lines.filter((l) => l.container === id);
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(["container created", "container started", "container exited", "container deleted"]));
    const exited = mine.find((l) => l.msg === "container exited")!;
    expect(exited).toMatchObject({ level: 30, namespace: daemon.namespace, container: id, process: "init", exitCode: 3 });
    expect(typeof exited.time).toBe("string");
    expect(mine.find((l) => l.msg === "container started")).toMatchObject({ process: "init", pid: expect.any(Number) });
  });

  it("logs no RPC success at info, and a refused call at warn with its method and code", async () => {
    const mark = lines.length;
    await grpc.state(daemon.id("absent")).catch(() => {});
    await grpc.list();
    const refused = since(mark).filter((l) => (l.rpc as { method?: string } | undefined)?.method === "State");
    expect(refused).toEqual([expect.objectContaining({ level: 40, msg: "rpc refused", rpc: expect.objectContaining({ service: "berth.v1.ContainerService", method: "State", code: "NOT_FOUND" }) })]);
    expect(since(mark).filter((l) => (l.rpc as { method?: string } | undefined)?.method === "List")).toEqual([]);
  });

  it("writes a client's mistakes on both stacks at warn, a deadline passed too, and a failing poststop hook: never error", async () => {
    const mark = lines.length;
    const stopped = daemon.id("mistakes");
    made.push(stopped);
    await grpc.create(stopped, { process: { args: ["true"] }, hooks: { poststop: [{ path: "/usr/bin/false" }] } });
    await grpc.wait(stopped);
    const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (err: { code?: string }) => err.code);
    expect(await codeOf(grpc.state(daemon.id("absent")))).toBe("not_found");
    expect(await codeOf(grpc.state("Not An Id!"))).toBe("invalid_argument");
    expect(await codeOf(grpc.create(stopped, { process: { args: ["true"] } }))).toBe("already_exists");
    expect(await codeOf(grpc.pause(stopped))).toBe("failed_precondition");
    const headers = { "content-type": "application/json", "berth-namespace": daemon.namespace };
    expect((await unixPost(daemon.socketPath, "/berth.v1.ContainerService/State", headers, JSON.stringify({ id: daemon.id("absent") }))).status).toBe(404);
    const sleeper = daemon.id("mistakes-wait");
    made.push(sleeper);
    await grpc.create(sleeper, { process: { args: ["sleep", "600"] } });
    const late = await unixPost(daemon.socketPath, "/berth.v1.ContainerService/Wait", { ...headers, "connect-timeout-ms": "50" }, JSON.stringify({ id: sleeper }));
    expect(late.status).toBe(504);
    await until(() => since(mark).some((l) => l.container === stopped && l.msg === "poststop hook failed"), "the failed hook's line");
    await until(() => rpcLines("Wait").some((l) => (l.rpc as { code: string }).code === "DEADLINE_EXCEEDED"), "the deadline's line");
    const refused = since(mark)
      .filter((l) => l.msg === "rpc refused")
      .map((l) => `${(l.rpc as { method: string }).method} ${(l.rpc as { code: string }).code} ${l.level}`);
    expect(refused).toEqual(
      expect.arrayContaining(["State NOT_FOUND 40", "State INVALID_ARGUMENT 40", "Create ALREADY_EXISTS 40", "Pause FAILED_PRECONDITION 40", "Wait DEADLINE_EXCEEDED 40"]),
    );
    expect(refused.filter((r) => r === "State NOT_FOUND 40")).toHaveLength(2);
    expect(since(mark).filter((l) => (l.level as number) >= 50)).toEqual([]);
    await grpc.delete(sleeper, { force: true });
  });

  it("turns debug on and off through Remote.updateOptions: each call's line, with its duration, on both stacks", async () => {
    await daemon.remote.updateOptions({ logLevel: "debug" });
    try {
      const mark = lines.length;
      await grpc.list();
      const connect = await unixPost(daemon.socketPath, "/berth.v1.ContainerService/List", { "content-type": "application/json", "berth-namespace": daemon.namespace }, "{}");
      expect(connect.status).toBe(200);
      await until(() => since(mark).filter((l) => (l.rpc as { method?: string })?.method === "List").length >= 2, "a line for each List");
      for (const line of since(mark).filter((l) => (l.rpc as { method?: string })?.method === "List")) {
        expect(line).toMatchObject({ level: 20, msg: "rpc", rpc: { service: "berth.v1.ContainerService", method: "List", code: "OK", ms: expect.any(Number) } });
      }
    } finally {
      await daemon.remote.updateOptions({ logLevel: "info" });
    }
    const mark = lines.length;
    await grpc.list();
    await grpc.ping();
    expect(since(mark).filter((l) => l.rpc !== undefined)).toEqual([]);
  });

  it("changes the level through the UpdateOptions RPC, over GrpcClient and LocalClient, answering the level in force", async () => {
    expect(await grpc.updateOptions({ logLevel: "debug" })).toMatchObject({ logLevel: "debug" });
    const mark = lines.length;
    await grpc.list();
    await until(() => since(mark).some((l) => (l.rpc as { method?: string })?.method === "List"), "the debug line of List");
    expect(await local.updateOptions({ logLevel: "warn" })).toMatchObject({ logLevel: "warn" });
    const quiet = lines.length;
    const id = daemon.id("quiet");
    made.push(id);
    await grpc.create(id, { process: { args: ["true"] } });
    await grpc.wait(id);
    await grpc.delete(id);
    // The UpdateOptions call's own line may have been written as the level changed.
    expect(since(quiet).filter((l) => (l.rpc as { method?: string })?.method !== "UpdateOptions")).toEqual([]);
    expect(await grpc.updateOptions({})).toMatchObject({ logLevel: "warn" });
    expect(await grpc.updateOptions({ logLevel: "info" })).toMatchObject({ logLevel: "info" });
    expect(rpcLines("UpdateOptions").length).toBeGreaterThan(0);
  });

  it("changes the level through Remote.updateOptions of a Remote that only connects to the daemon", async () => {
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    await remote.updateOptions({ logLevel: "error" });
    expect(await grpc.updateOptions({})).toMatchObject({ logLevel: "error" });
    await remote.updateOptions({ logLevel: "info" });
    expect(await grpc.updateOptions({})).toMatchObject({ logLevel: "info" });
  });

  it("refuses an unknown level with INVALID_ARGUMENT naming the allowed ones, and changes nothing", async () => {
    for (const client of [grpc, local]) {
      await expect(client.updateOptions({ logLevel: "verbose", logSizeMax: 1 << 20 })).rejects.toMatchObject({
        code: "invalid_argument",
        message: expect.stringMatching(/"verbose" is not a level: give one of trace, debug, info, warn, error, fatal, silent/),
      });
      await expect(client.updateOptions({ logLevel: "info", logSizeMax: 10 })).rejects.toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/at least 4096/) });
      expect(await client.updateOptions({})).toEqual({ logLevel: "info", logSizeMax: 0 });
    }
    await expect(daemon.remote.updateOptions({ logLevel: "loud" })).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("never writes an environment value or a request body, at any level", async () => {
    await grpc.updateOptions({ logLevel: "trace" });
    try {
      const id = daemon.id("secret");
      made.push(id);
      await grpc.create(id, { process: { args: ["sh", "-c", "exit 0"], env: [`TOKEN=${SECRET}`, "PATH=/bin"] }, labels: { app: "logs" } });
      await grpc.wait(id);
      const e = await grpc.addProcess(id, "e1", { args: ["true"], env: [`PASSWORD=${SECRET}`] }).catch((err: unknown) => err);
      expect(e).toBeDefined();
      // A refused request that carries the secret: an env entry without "=".
      await expect(grpc.create(daemon.id("bad"), { process: { args: ["true"], env: [SECRET] } })).rejects.toMatchObject({ code: "invalid_argument" });
      await unixPost(daemon.socketPath, "/berth.v1.ContainerService/Create", { "content-type": "application/json", "berth-namespace": daemon.namespace }, JSON.stringify({ id: daemon.id("bad"), process: { args: ["true"], env: [SECRET] } }));
      await grpc.delete(id);
      await until(() => lines.some((l) => l.container === id && l.msg === "container deleted"), "the delete line");
    } finally {
      await grpc.updateOptions({ logLevel: "info" });
    }
    expect(raw.filter((l) => l.includes(SECRET))).toEqual([]);
    expect(raw.length).toBeGreaterThan(0);
  });
});
