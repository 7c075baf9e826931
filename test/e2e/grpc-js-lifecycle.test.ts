// A client that knows only the .proto files (grpc-js + proto-loader) drives a
// full lifecycle over the daemon's unix socket: if it works here, it works
// from any language's gRPC stack.
import type { ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

// proto-loader hands enums over as their numbers (see the .proto files).
const STATUS_RUNNING = 2;
const STATUS_PAUSED = 3;
const EVENT_NAMES: Record<number, string> = { 1: "start-container", 2: "pause", 3: "resume", 4: "exit", 7: "start-process", 8: "exit-process", 10: "create", 11: "delete" };

interface WireEvent {
  sequence: string;
  containerId: string;
  processId: string;
  type: number;
  exitCode: number;
}

describe("a proto-only gRPC client (grpc-js)", () => {
  let daemon: TestDaemon;
  let client: GrpcJsClient;
  const ids: string[] = [];

  beforeAll(async () => {
    daemon = await startTestDaemon("grpcjs");
    client = createGrpcJsClient(daemon.socketPath);
  });

  afterAll(async () => {
    for (const id of ids) await client.unary("ContainerService", "Delete", { id, force: true }, { namespace: daemon.namespace }).catch(() => {});
    client.close();
    await daemon.stop();
  });

  it("drives create, exec, stats, update, pause/resume, signal, wait and delete with events in order", async () => {
    const id = daemon.id("life");
    ids.push(id);
    const ns = { namespace: daemon.namespace };
    const events: WireEvent[] = [];
    const stream = client.serverStream<{ event: WireEvent }>("EventService", "Subscribe", { containerIds: [id] }, ns);
    stream.on("data", (m) => events.push(m.event));
    stream.on("error", () => {});
    // The stream is registered once the daemon has answered a call after it.
    await client.unary("SystemService", "Ping", {}, ns);

    const created = await client.unary<{ container: { pid: number; status: number } }>(
      "ContainerService",
      "Create",
      {
        id,
        process: { args: ["sh", "-c", "trap 'exit 9' USR1; while true; do sleep 0.1; done"] },
        resources: { memoryLimitBytes: String(64 << 20) },
        labels: { rig: "grpc-js" },
      },
      ns,
    );
    expect(created.container.pid).toBeGreaterThan(0);
    expect(created.container.status).toBe(STATUS_RUNNING);

    const exec = await client.unary<{ process: { pid: number } }>("ContainerService", "AddProcess", { id, processId: "probe", process: { args: ["sh", "-c", "exit 4"] } }, ns);
    expect(exec.process.pid).toBeGreaterThan(0);
    const execExit = await client.unary<{ exitStatus: { exitCode: number } }>("ContainerService", "Wait", { id, processId: "probe" }, ns);
    expect(execExit.exitStatus.exitCode).toBe(4);

    const stats = await client.unary<{ stats: { memory: { limitBytes: string }; pids: { current: string } } }>("ContainerService", "Stats", { id }, ns);
    expect(stats.stats.memory.limitBytes).toBe(String(64 << 20));
    expect(Number(stats.stats.pids.current)).toBeGreaterThanOrEqual(1);

    await client.unary("ContainerService", "UpdateResources", { id, resources: { memoryLimitBytes: String(128 << 20) } }, ns);
    const updated = await client.unary<{ stats: { memory: { limitBytes: string } } }>("ContainerService", "Stats", { id }, ns);
    expect(updated.stats.memory.limitBytes).toBe(String(128 << 20));

    await client.unary("ContainerService", "Pause", { id }, ns);
    const paused = await client.unary<{ container: { status: number } }>("ContainerService", "State", { id }, ns);
    expect(paused.container.status).toBe(STATUS_PAUSED);
    await client.unary("ContainerService", "Resume", { id }, ns);

    const pids = await client.unary<{ pids: number[] }>("ContainerService", "ListPids", { id }, ns);
    expect(pids.pids).toContain(created.container.pid);
    const summary = await client.unary<{ processes: Array<{ processId: string }> }>("ContainerService", "Summary", { id }, ns);
    expect(summary.processes.map((p) => p.processId)).toContain("init");

    await client.unary("ContainerService", "Signal", { id, signal: "USR1" }, ns);
    const exit = await client.unary<{ exitStatus: { exitCode: number } }>("ContainerService", "Wait", { id }, ns);
    expect(exit.exitStatus.exitCode).toBe(9);

    const listed = await client.unary<{ containers: Array<{ id: string }> }>("ContainerService", "List", { labels: { rig: "grpc-js" } }, ns);
    expect(listed.containers.map((c) => c.id)).toEqual([id]);

    const deleted = await client.unary<{ exitStatus: { exitCode: number } }>("ContainerService", "Delete", { id }, ns);
    expect(deleted.exitStatus.exitCode).toBe(9);
    ids.pop();

    await until(() => events.some((e) => EVENT_NAMES[e.type] === "delete"), "the delete event", 5000);
    stream.cancel();
    expect(events.map((e) => `${EVENT_NAMES[e.type]}:${e.processId}:${e.exitCode}`)).toEqual([
      "create:init:0",
      "start-container:init:0",
      "start-process:probe:0",
      "exit-process:probe:4",
      "pause:init:0",
      "resume:init:0",
      "exit:init:9",
      "delete:init:9",
    ]);
    const seqs = events.map((e) => BigInt(e.sequence));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]! > seqs[i - 1]!).toBe(true);
  });

  it("answers with gRPC status codes and messages that say what to fix", async () => {
    const ns = { namespace: daemon.namespace };
    const status = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return { code: (err as ServiceError).code, details: (err as ServiceError).details };
      }
      throw new Error("expected failure");
    };
    const missing = await status(client.unary("ContainerService", "State", { id: "nope" }, ns));
    expect(missing.code).toBe(5); // NOT_FOUND
    expect(missing.details).toMatch(/container "nope" not found/);
    expect((await status(client.unary("ContainerService", "Create", { id: "bad/id", process: { args: ["true"] } }, ns))).code).toBe(3);
    expect((await status(client.unary("ContainerService", "Create", { id: "x", process: { args: ["true"] } }, { namespace: "../etc" }))).code).toBe(3);
    const id = daemon.id("codes");
    ids.push(id);
    await client.unary("ContainerService", "Create", { id, process: { args: ["sleep", "30"] } }, ns);
    expect((await status(client.unary("ContainerService", "Create", { id, process: { args: ["true"] } }, ns))).code).toBe(6); // ALREADY_EXISTS
    const running = await status(client.unary("ContainerService", "Delete", { id }, ns));
    expect(running.code).toBe(9); // FAILED_PRECONDITION
    expect(running.details).toMatch(/cannot delete a running container/);
    const tooNew = await status(subscribeOnce(client, ns));
    expect(tooNew.code).toBe(11); // OUT_OF_RANGE
    expect(tooNew.details).toMatch(/sequence/);
  });
});

function subscribeOnce(client: GrpcJsClient, ns: { namespace: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = client.serverStream("EventService", "Subscribe", { sinceSequence: "999999999" }, ns);
    s.on("data", () => {});
    s.on("error", reject);
    s.on("end", resolve);
  });
}
