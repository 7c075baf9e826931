// Server reflection on a real daemon: a client that has no .proto of
// berth's lists the services, fetches their descriptors through reflection
// (v1 and v1alpha), builds its stubs from them and drives a container with
// them, Create to Stats to Delete, as grpcurl would.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ReflectionClient, unary } from "../fixtures/reflection-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

let daemon: TestDaemon;
const made: string[] = [];
let stub: grpc.Client | undefined;

beforeAll(async () => {
  daemon = await startTestDaemon("reflection");
}, 30_000);

afterAll(async () => {
  if (stub !== undefined) {
    for (const id of made) await unary(stub, "Delete", { id, force: true }, metadata()).catch(() => {});
    stub.close();
  }
  await daemon?.stop();
}, 60_000);

function metadata(): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set("berth-namespace", daemon.namespace);
  return m;
}

// generatedServices names every service of every file in src/gen, read from
// the generated code itself, so a .proto added later is checked too.
async function generatedServices(): Promise<string[]> {
  const root = resolve(import.meta.dirname, "../../src/gen");
  const names: string[] = [];
  for (const file of readdirSync(root, { recursive: true }) as string[]) {
    if (!file.endsWith("_pb.ts")) continue;
    const mod = (await import(join(root, file))) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const gen = value as Partial<GenFile>;
      if (gen?.kind === "file") names.push(...gen.services!.map((s) => s.typeName));
    }
  }
  return names.sort();
}

describe.each(["v1", "v1alpha"] as const)("server reflection %s", (version) => {
  it("lists every service the generated code declares", async () => {
    const reflection = new ReflectionClient(`unix:${daemon.socketPath}`, version);
    try {
      const listed = await reflection.listServices();
      const expected = await generatedServices();
      expect(expected).toContain("berth.v1.ContainerService");
      expect(expected).toContain("grpc.health.v1.Health");
      expect(listed.sort()).toEqual(expected);
    } finally {
      reflection.close();
    }
  });

  it("gives descriptors a client builds working stubs from: Create, then Stats of the running container", async () => {
    const target = `unix:${daemon.socketPath}`;
    const reflection = new ReflectionClient(target, version);
    try {
      const files = await reflection.fileContainingSymbol("berth.v1.ContainerService");
      expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(["berth/v1/containers.proto", "berth/v1/types.proto"]));
      stub ??= await reflection.serviceStub("berth.v1.ContainerService", target);
      const id = daemon.id(`stats-${version}`);
      made.push(id);
      await unary(stub, "Create", { id, process: { args: ["sleep", "300"] } }, metadata());
      const stats = await unary<{ stats: { pids: { current: string }; memory: { usage_bytes: string } } }>(stub, "Stats", { id }, metadata());
      expect(Number(stats.stats.pids.current)).toBeGreaterThanOrEqual(1);
      expect(Number(stats.stats.memory.usage_bytes)).toBeGreaterThan(0);
      await unary(stub, "Delete", { id, force: true }, metadata());
      made.pop();
    } finally {
      reflection.close();
    }
  }, 30_000);
});
