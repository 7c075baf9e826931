// grpc.health.v1.Health on a real daemon: NOT_SERVING while restore runs
// (held here by a runc that waits at `runc state` until the test lets it
// go), SERVING once restore is done and the runtime answers, NOT_SERVING to
// a watcher when the daemon drains; the same answers over Connect JSON.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, describe, expect, it } from "vitest";

import { Status } from "../../src/gen/berth/v1/types_pb.js";
import { Remote } from "../../src/remote/remote.js";
import { unixPost } from "../fixtures/unix-http.js";
import { until } from "../fixtures/until.js";
import { checkThenRemove, startTestDaemon } from "../helpers/test-daemon.js";

const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));

type HealthStub = grpc.Client & {
  Check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

function healthStub(socketPath: string): HealthStub {
  const definition = protoLoader.loadSync("grpc/health/v1/health.proto", { includeDirs: [PROTO_DIR], enums: String });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  return new pkg.grpc.health.v1.Health(`unix:${socketPath}`, grpc.credentials.createInsecure()) as unknown as HealthStub;
}

function check(stub: HealthStub, service = ""): Promise<string> {
  return new Promise((resolve, reject) => stub.Check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))));
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}, 60_000);

describe("health", () => {
  it("is NOT_SERVING while restore runs, SERVING after it, NOT_SERVING to a watcher while draining", async () => {
    const first = await startTestDaemon("health");
    const { stateDir, socketPath, cgroupParent } = first;
    const id = first.id("kept");
    const c1 = await first.remote.client(undefined, { namespace: first.namespace });
    await c1.create(id, { process: { args: ["sleep", "300"] } });
    await first.remote.cleanup();

    // The next daemon's runc waits at `state` (which restore asks of each
    // container) until the gate file exists.
    const bin = await mkdtemp(join(tmpdir(), "berth-test-health-bin-"));
    cleanups.push(() => rm(bin, { recursive: true, force: true }));
    const gate = join(bin, "open");
    const runc = join(bin, "runc");
    await writeFile(runc, `#!/bin/sh\nfor a in "$@"; do [ "$a" = state ] && while [ ! -e '${gate}' ]; do sleep 0.02; done; done\nexec runc "$@"\n`);
    await chmod(runc, 0o755);

    const starting = Remote.start({ stateDir, socketPath, cgroupParent, runtime: runc, network: { defaultNetwork: "none" } });
    let second: Remote | undefined;
    cleanups.push(async () => {
      await writeFile(gate, "");
      second ??= await starting;
      await (await second.client(undefined, { namespace: first.namespace })).delete(id, { force: true }).catch(() => {});
      await second.cleanup();
      await checkThenRemove(stateDir, cgroupParent);
    });
    await until(() => existsSync(socketPath), "the second daemon's socket");
    const stub = healthStub(socketPath);
    cleanups.push(async () => stub.close());
    expect(await check(stub)).toBe("NOT_SERVING");
    expect(await check(stub, "berth.v1.ContainerService")).toBe("NOT_SERVING");
    const seen: string[] = [];
    const watch = stub.Watch({ service: "" });
    watch.on("data", (res) => seen.push(res.status));
    const ended = new Promise<grpc.ServiceError>((resolve) => watch.on("error", resolve));
    await until(() => seen.length === 1, "the watch's first status");
    expect(seen).toEqual(["NOT_SERVING"]);

    await writeFile(gate, "");
    second = await starting;
    expect(await check(stub)).toBe("SERVING");
    await until(() => seen.length === 2, () => `SERVING on the watch, saw ${seen.join(", ")}`);
    expect(seen).toEqual(["NOT_SERVING", "SERVING"]);
    // The restored container is there and running.
    const client = await second.client(undefined, { namespace: first.namespace });
    expect((await client.state(id)).status).toBe(Status.RUNNING);
    const connect = await unixPost(socketPath, "/grpc.health.v1.Health/Check", { "content-type": "application/json" }, "{}");
    expect(JSON.parse(connect.body.toString())).toEqual({ status: "SERVING" });
    await client.delete(id, { force: true });

    await second.cleanup();
    const end = await ended;
    expect(seen).toEqual(["NOT_SERVING", "SERVING", "NOT_SERVING"]);
    expect(end.code).toBe(grpc.status.UNAVAILABLE);
    cleanups.pop();
    await checkThenRemove(stateDir, cgroupParent);
  }, 60_000);

  it("says NOT_FOUND for a service it does not serve, and SERVICE_UNKNOWN to a watcher of one", async () => {
    const daemon = await startTestDaemon("health-unknown");
    cleanups.push(() => daemon.stop());
    const stub = healthStub(daemon.socketPath);
    cleanups.push(async () => stub.close());
    expect(await check(stub, "grpc.health.v1.Health")).toBe("SERVING");
    await expect(check(stub, "nope.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringContaining("berth.v1.ContainerService") });
    const watch = stub.Watch({ service: "nope.Service" });
    const first = await new Promise<string>((resolve) => watch.once("data", (res: { status: string }) => resolve(res.status)));
    expect(first).toBe("SERVICE_UNKNOWN");
    watch.on("error", () => {});
    watch.cancel();
  }, 30_000);
});
