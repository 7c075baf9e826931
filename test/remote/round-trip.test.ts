// Every Client method over the wire: what the caller passes reaches the
// namespace's Client intact, and what it returns reaches the caller intact.
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { CreateRequestSchema, EventType, Status, WaitCondition } from "../../src/client/types.js";
import { startFakeServer, type FakeServer } from "../fixtures/fake-server.js";
import {
  sampleContainer,
  sampleExitStatus,
  sampleInfo,
  sampleLogLines,
  samplePids,
  sampleProcess,
  sampleStats,
  sampleSummary,
  sampleVersion,
} from "../fixtures/sample-messages.js";

let fake: FakeServer;
let client: GrpcClient;

beforeAll(async () => {
  fake = await startFakeServer();
  client = await GrpcClient.connect({ socketPath: fake.socketPath, namespace: "rt" });
});

afterAll(async () => {
  await client?.close();
  await fake?.close();
});

beforeEach(() => fake.hub.reset());

const lastCall = () => fake.hub.calls.at(-1);

describe("GrpcClient round trip", () => {
  it("create sends the whole spec and returns the container", async () => {
    const options = {
      process: { args: ["sleep", "1"], env: ["A=1"], cwd: "/w", user: { uid: 1, gid: 2, additionalGids: [3] }, terminal: true },
      ociSpecJson: new TextEncoder().encode('{"ociVersion":"1.0.2"}'),
      rootfs: { source: { case: "imagePath" as const, value: "/img.tar.gz" }, readOnly: true },
      labels: { a: "1", "b.c/d": "" },
      resources: { memoryLimitBytes: 2n ** 62n, cpuShares: 0n, cpusetCpus: "0-1" },
      hostname: "h",
      mounts: [{ source: "/src", destination: "/dst", readOnly: true }],
      restartPolicy: { kind: 3, maxRetries: 5 },
    };
    const container = await client.create("c1", options);
    expect(container).toEqual(sampleContainer("c1", "rt"));
    expect(lastCall()).toMatchObject({ namespace: "rt", method: "create" });
    const [id, received] = lastCall()!.args as [string, object];
    expect(id).toBe("c1");
    const { id: _id, $typeName: _t, ...expected } = create(CreateRequestSchema, { id: "c1", ...options });
    expect(received).toEqual(expected);
  });

  it("signals travel as numbers or names", async () => {
    await client.signal("c1", 9, { all: true });
    expect(lastCall()!.args).toEqual(["c1", 9, { all: true }]);
    await client.signal("c1", "SIGTERM");
    expect(lastCall()!.args).toEqual(["c1", "SIGTERM", { all: false }]);
    await client.signalProcess("c1", "p1", "KILL");
    expect(lastCall()!.args).toEqual(["c1", "p1", "KILL", {}]);
    await client.signalProcess("c1", "p1", "KILL", { expectedRevision: 7n });
    expect(lastCall()!.args).toEqual(["c1", "p1", "KILL", { expectedRevision: 7n }]);
  });

  it("process calls", async () => {
    const info = await client.addProcess("c1", "p1", { args: ["ls"], consoleSize: { width: 80, height: 24 }, stdin: true });
    expect(info).toEqual(sampleProcess("p1"));
    expect(lastCall()!.args).toMatchObject(["c1", "p1", { args: ["ls"], consoleSize: { width: 80, height: 24 }, stdin: true }, {}]);
    await client.resize("c1", "p1", 4_000_000_000, 1);
    expect(lastCall()!.args).toEqual(["c1", "p1", 4_000_000_000, 1, {}]);
    await client.closeStdin("c1", "init", { expectedRevision: 2n ** 63n });
    expect(lastCall()!.args).toEqual(["c1", "init", { expectedRevision: 2n ** 63n }]);
  });

  it("start, stop, restart, update and inspect carry their options and revisions", async () => {
    expect(await client.start("c1", { expectedRevision: 3n })).toEqual(sampleContainer("c1", "rt"));
    expect(lastCall()!.args).toEqual(["c1", { expectedRevision: 3n }]);
    await client.stop("c1", { signal: 10, timeoutSeconds: 0 });
    expect(lastCall()!.args).toEqual(["c1", { signal: 10, timeoutSeconds: 0 }]);
    await client.restart("c1", { signal: "SIGINT", expectedRevision: 1n });
    expect(lastCall()!.args).toEqual(["c1", { signal: "SIGINT", expectedRevision: 1n }]);
    await client.stop("c1");
    expect(lastCall()!.args).toEqual(["c1", {}]);
    await client.update("c1", { labels: {}, stopSignal: "USR1", runState: Status.STOPPED, expectedRevision: 4n });
    const [, update] = lastCall()!.args as [string, Record<string, unknown>];
    // Empty labels travel as "replace with none", not as "leave as is".
    expect(update).toMatchObject({ labels: {}, stopSignal: "USR1", runState: Status.STOPPED, expectedRevision: 4n });
    await client.update("c1", { runState: Status.RUNNING });
    expect((lastCall()!.args[1] as Record<string, unknown>).labels).toBeUndefined();
    const inspected = await client.inspect("c1", { size: true });
    expect([inspected.container.id, inspected.config.hostname]).toEqual(["c1", "fake"]);
    expect(lastCall()!.args).toEqual(["c1", { size: true }]);
  });

  it("lifecycle calls", async () => {
    await client.pause("c1");
    await client.resume("c1");
    expect(await client.restore("c1")).toEqual(sampleContainer("c1", "rt"));
    expect(await client.delete("c1", { force: true })).toEqual(sampleExitStatus());
    expect(fake.hub.calls.map((c) => [c.method, ...c.args])).toEqual([
      ["pause", "c1"],
      ["resume", "c1"],
      ["restore", "c1"],
      ["delete", "c1", { force: true }],
    ]);
  });

  it("inspection calls keep 64-bit values, timestamps and maps", async () => {
    expect(await client.stats("c1")).toEqual(sampleStats());
    expect(await client.getPidsForContainer("c1")).toEqual(samplePids);
    expect(await client.summary("c1")).toEqual(sampleSummary());
    expect(await client.state("c1")).toEqual(sampleContainer("c1", "rt"));
    const list = await client.list({ statuses: [Status.RUNNING, Status.PAUSED], labels: { app: "web" } });
    expect(list).toEqual([sampleContainer("a", "rt"), sampleContainer("b", "rt")]);
    expect(lastCall()!.args).toEqual([{ statuses: [Status.RUNNING, Status.PAUSED], labels: { app: "web" } }]);
  });

  it("updateResources keeps unset limits unset", async () => {
    await client.updateResources("c1", { pidsLimit: -1n, cpuPeriodUs: 100_000n });
    const [, resources] = lastCall()!.args as [string, Record<string, unknown>];
    expect(resources).toMatchObject({ pidsLimit: -1n, cpuPeriodUs: 100_000n });
    expect(resources.memoryLimitBytes).toBeUndefined();
  });

  it("wait passes process, condition and a signal", async () => {
    expect(await client.wait("c1", { processId: "p1", condition: WaitCondition.NEXT_EXIT })).toEqual(sampleExitStatus());
    const [id, options] = lastCall()!.args as [string, { processId?: string; condition?: number; signal?: AbortSignal }];
    expect([id, options.processId, options.condition]).toEqual(["c1", "p1", WaitCondition.NEXT_EXIT]);
    expect(options.signal).toBeInstanceOf(AbortSignal);
    await client.wait("c1");
    expect(lastCall()!.args[1]).toMatchObject({ processId: undefined, condition: undefined });
  });

  it("logs stream lines with their bytes and times", async () => {
    const since = new Date("2024-01-01T00:00:00.001Z");
    const lines = [];
    for await (const line of client.logs("c1", { processId: "p1", stderr: true, tail: 10, since })) lines.push(line);
    expect(lines).toEqual(sampleLogLines());
    expect(lastCall()!.args).toMatchObject(["c1", { processId: "p1", stdout: false, stderr: true, tail: 10, since, follow: false }]);
  });

  it("subscribe passes every filter", async () => {
    const event = fake.hub.emit("rt", "c9", EventType.OOM);
    const controller = new AbortController();
    const options = { containerIds: ["c9"], types: [EventType.OOM], sinceSequence: 0n, allNamespaces: false };
    for await (const got of client.subscribe({ ...options, signal: controller.signal })) {
      expect(got).toEqual(event);
      controller.abort();
    }
    expect(lastCall()!.args[0]).toMatchObject(options);
  });

  it("version, info and ping reach SystemService", async () => {
    expect(await client.version()).toMatchObject(sampleVersion);
    expect(await client.info()).toEqual(sampleInfo());
    await client.ping();
  });
});

describe("namespaces", () => {
  it("each client's calls reach its own namespace", async () => {
    const other = await GrpcClient.connect({ socketPath: fake.socketPath, namespace: "other" });
    try {
      await Promise.all([client.state("x"), other.state("x")]);
      expect(fake.hub.calls.map((c) => c.namespace).sort()).toEqual(["other", "rt"]);
      expect((await other.state("x")).namespace).toBe("other");
    } finally {
      await other.close();
    }
  });

  it("no namespace means default", async () => {
    const plain = await GrpcClient.connect({ socketPath: fake.socketPath });
    try {
      expect(plain.namespace).toBe("default");
      await plain.pause("x");
      expect(lastCall()!.namespace).toBe("default");
    } finally {
      await plain.close();
    }
  });

  it("a bad namespace is refused before anything is sent", async () => {
    await expect(GrpcClient.connect({ socketPath: fake.socketPath, namespace: "../etc" })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });
});
