// The Python client in examples/python, run by Debian's python3 against a
// real daemon: it drives a container's life and checks its events itself,
// and a client mistake reaches Python as the status and message berth gave.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const EXAMPLE = resolve(import.meta.dirname, "../../examples/python/berth_client.py");
// Debian's interpreter, where python3-grpcio and python3-protobuf live (a
// python3 earlier on PATH, such as pyenv's, has neither).
const PYTHON = "/usr/bin/python3";

describe("the Python client (examples/python)", () => {
  let daemon: TestDaemon;
  let cache: string;

  beforeAll(async () => {
    daemon = await startTestDaemon("py");
    cache = await mkdtemp(join(tmpdir(), "berth-py-cache-"));
  });

  afterAll(async () => {
    await daemon.stop();
    await rm(cache, { recursive: true, force: true });
  });

  const python = (args: string[]) =>
    execa(PYTHON, args, { env: { BERTH_PY_CACHE: cache, PYTHONDONTWRITEBYTECODE: "1" }, reject: false, timeout: 120_000, stdin: "ignore" });

  it("drives a container's life (create, exec, stats, pause, logs, signal, delete) and sees each event in order", { timeout: 150_000 }, async () => {
    const id = daemon.id("life");
    const run = await python([EXAMPLE, "--socket", daemon.socketPath, "--namespace", daemon.namespace, "--id", id]);
    expect(run.stderr).toBe("");
    expect(run.stdout).not.toMatch(/^FAIL/m);
    for (const line of [/^ok {3}exec probe exited 7$/m, /^ok {3}logs: \['hello from python'\]$/m, /^ok {3}SIGTERM: exit 3$/m, /^ok {3}events: \['create', 'start-container', 'start-process', 'exit-process', 'pause', 'resume', 'exit', 'delete'\]$/m, /^ok {3}nothing left behind$/m]) {
      expect(run.stdout).toMatch(line);
    }
    expect(run.exitCode, run.stdout).toBe(0);
    const client = await daemon.remote.client(undefined, { namespace: daemon.namespace });
    expect(await client.list()).toEqual([]);
    await client.close();
  });

  it("gets NOT_FOUND with berth's message for a container that does not exist", { timeout: 60_000 }, async () => {
    const script = [
      "import sys, grpc",
      `sys.path.insert(0, ${JSON.stringify(resolve(EXAMPLE, ".."))})`,
      "from berth_client import Berth",
      `b = Berth(${JSON.stringify(`unix:${daemon.socketPath}`)}, ${JSON.stringify(daemon.namespace)})`,
      "try:",
      "    b.containers.State(id='no-such-container', timeout=10)",
      "except grpc.RpcError as err:",
      "    print(err.code().name, err.details())",
    ].join("\n");
    const run = await python(["-c", script]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^NOT_FOUND .*no-such-container/);
  });
});
