// Version asks runc and conmon for their versions once per daemon, not at
// every call (each ask is a fork, 100 to 600 ms of a busy event loop on a
// loaded host), and again only when a binary changed. The daemon here runs
// wrappers that log each call before handing over to the real binaries.
import { chmod, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { GrpcClient } from "../../src/client/grpc-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

let dir: string;
let daemon: TestDaemon;
let client: GrpcClient;

async function wrapper(name: string): Promise<string> {
  const real = (await execa("sh", ["-c", `command -v ${name}`])).stdout.trim();
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\necho "${name} $*" >> "${join(dir, "calls.log")}"\nexec "${real}" "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

const versionAsks = async () =>
  (await readFile(join(dir, "calls.log"), "utf8").catch(() => ""))
    .split("\n")
    .filter((line) => line.endsWith(" --version"));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-version-"));
  const runtime = await wrapper("runc");
  const conmon = await wrapper("conmon");
  daemon = await startTestDaemon("version", { runtime, conmon });
  client = await GrpcClient.connect({ socketPath: daemon.socketPath });
});

afterAll(async () => {
  await client?.close();
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("Version", () => {
  // The daemon asks once at start (health waits for the runtime to
  // answer); the calls then reuse that answer.
  it("asks each binary once for any number of calls", async () => {
    const first = await client.version();
    const [second, third] = await Promise.all([client.version(), client.version()]);
    expect(first.runtimeVersion).toMatch(/^\d+\.\d+/);
    expect(first.monitorVersion).toMatch(/^\d+\.\d+/);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect((await versionAsks()).sort()).toEqual(["conmon --version", "runc --version"]);
  });

  it("asks again once a binary has changed", async () => {
    await client.version();
    const before = (await versionAsks()).length;
    const later = new Date(Date.now() + 60_000);
    await utimes(join(dir, "runc"), later, later);
    await client.version();
    await client.version();
    expect((await versionAsks()).length - before).toBe(2);
  });
});
