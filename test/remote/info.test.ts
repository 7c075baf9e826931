// Info against a real daemon, over gRPC and over Connect JSON: containers
// counted across namespaces by status, and host facts that agree with what
// the host's own tools say.
import { existsSync, readFileSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { GrpcClient } from "../../src/client/grpc-client.js";
import { Remote } from "../../src/remote/remote.js";
import { unixPost } from "../fixtures/unix-http.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

let daemon: TestDaemon;
let a: GrpcClient;
let b: GrpcClient;
// made holds every container the suite creates, for afterAll to delete.
const made: Array<[GrpcClient, string]> = [];

async function create(client: GrpcClient, name: string, args: string[]): Promise<string> {
  const id = daemon.id(name);
  made.push([client, id]);
  await client.create(id, { process: { args } });
  return id;
}

beforeAll(async () => {
  daemon = await startTestDaemon("info");
  a = await GrpcClient.connect({ socketPath: daemon.socketPath, namespace: `${daemon.namespace}-a` });
  b = await GrpcClient.connect({ socketPath: daemon.socketPath, namespace: `${daemon.namespace}-b` });
  await create(a, "running", ["sleep", "300"]);
  await a.pause(await create(a, "paused", ["sleep", "300"]));
  const stopped = await create(b, "stopped", ["sh", "-c", "exit 3"]);
  expect((await b.wait(stopped)).exitCode).toBe(3);
  await create(b, "running", ["sleep", "300"]);
}, 60_000);

afterAll(async () => {
  for (const [client, id] of made) await client.delete(id, { force: true }).catch(() => {});
  await a?.close();
  await b?.close();
  await daemon?.stop();
}, 60_000);

const counts = { containers: 4, containersRunning: 2, containersPaused: 1, containersStopped: 1 };

describe("Info", () => {
  it("counts every namespace's containers by status over gRPC", async () => {
    const info = await a.info();
    // One image: the built-in busybox, which every container here runs on.
    expect(info).toMatchObject({ ...counts, images: 1, driver: "overlay", osType: "linux" });
    // The other namespace's client, and a Remote that only connects, see the same daemon.
    expect(await b.info()).toMatchObject({ ...counts, id: info.id });
    expect(await (await Remote.connect({ socketPath: daemon.socketPath })).info()).toMatchObject({ ...counts, id: info.id });
  });

  it("answers Connect JSON with the same counts", async () => {
    const answer = await unixPost(daemon.socketPath, "/berth.v1.SystemService/Info", { "content-type": "application/json" }, "{}");
    expect(answer.status).toBe(200);
    const json = JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>;
    const viaGrpc = await a.info();
    expect(json).toMatchObject({ ...counts, id: viaGrpc.id, driver: "overlay", kernelVersion: os.release() });
    // uint64 travels as a string in proto3 JSON.
    expect(json["memTotalBytes"]).toBe(String(viaGrpc.memTotalBytes));
  });

  it("reports the host as its own tools do", async () => {
    const info = await a.info();
    const version = await a.version();
    const memTotalKiB = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]!;
    const prettyName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "Linux";
    expect(info.kernelVersion).toBe(os.release());
    expect(info.architecture).toBe((await execa("uname", ["-m"])).stdout.trim());
    // The CPUs the daemon may use (sched_getaffinity), as nproc and
    // Docker's NCPU count them.
    expect(info.ncpu).toBe(Number((await execa("nproc", [])).stdout.trim()));
    expect(info.ncpu).toBe(os.availableParallelism());
    expect(info.memTotalBytes).toBe(BigInt(memTotalKiB) * 1024n);
    expect(info.operatingSystem).toBe(prettyName);
    expect(info.name).toBe(os.hostname());
    expect(info).toMatchObject({ serverVersion: version.version, runtime: version.runtime, cgroupMode: version.cgroupMode });
    const now = Date.now();
    expect(Number(info.systemTime!.seconds) * 1000).toBeGreaterThan(now - 60_000);
    expect(Number(info.systemTime!.seconds) * 1000).toBeLessThanOrEqual(now);
  });

  it("says whether memory and swap can be limited, with Docker's warning", async () => {
    const info = await a.info();
    const v1 = "/sys/fs/cgroup/memory";
    if (existsSync(join(v1, "memory.limit_in_bytes"))) {
      expect(info.memoryLimit).toBe(true);
      expect(info.swapLimit).toBe(existsSync(join(v1, "memory.memsw.limit_in_bytes")));
    }
    if (info.memoryLimit && !info.swapLimit) expect(info.warnings).toContain("no swap limit support");
    else expect(info.warnings).not.toContain("no swap limit support");
  });

  it("keeps the state directory's id", async () => {
    const info = await a.info();
    expect(info.id).not.toBe("");
    expect(readFileSync(join(daemon.stateDir, "daemon-id"), "utf8").trim()).toBe(info.id);
  });
});
