// Run labels, against real runc and conmon: every container a rig run
// makes carries its run and runner; a runner that is gone (killed before
// it deleted its containers, or a pid now held by another process) has
// its containers removed by the next run's start, a live runner's are
// left alone, and `berth rm --run ID` (the built CLI) removes one run's
// containers, running or not, and no other's.
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ContainerBuilder } from "../../src/rig/container-builder.js";
import { reapAbandoned, RigRun } from "../../src/rig/rig-run.js";
import { RUN_LABEL, RUNNER_BOOT_LABEL, RUNNER_HOST_LABEL, RUNNER_PID_LABEL, RUNNER_STARTED_LABEL, runLabels, startTimeOf, thisRunner } from "../../src/rig/run-labels.js";
import { Wait } from "../../src/rig/wait/wait.js";
import { berth } from "../cli/berth-cli.js";
import { codeOf } from "../fixtures/code-of.js";
import { until } from "../fixtures/until.js";
import { startRigDaemon, type RigDaemon } from "./rig-daemon.js";

const RUNNER = fileURLToPath(new URL("./rig-runner.mjs", import.meta.url));

let d: RigDaemon;

beforeAll(async () => {
  d = await startRigDaemon("rigrun");
}, 60_000);

afterAll(async () => {
  await d?.stop();
});

const sleeper = (name: string) => new ContainerBuilder().withName(d.td.id(name)).withNetwork("none").withCommand(["sleep", "600"]);

describe("test rig runs", { timeout: 90_000 }, () => {
  it("labels each container with its run and its runner: this host, boot, pid and the pid's start time", async () => {
    const run = new RigRun(`labels-${process.pid}`);
    await using c = await sleeper("labelled").withLabels({ app: "web" }).start(d.grpc, { run });
    const me = thisRunner();
    expect((await c.state()).labels).toEqual({
      app: "web",
      [RUN_LABEL]: run.id,
      [RUNNER_HOST_LABEL]: hostname(),
      [RUNNER_BOOT_LABEL]: me.boot,
      [RUNNER_PID_LABEL]: String(process.pid),
      [RUNNER_STARTED_LABEL]: startTimeOf(process.pid),
    });
    expect(me.boot).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a killed runner's container outlives it until the next run starts, which removes it; while the runner lived, a run left it alone", async () => {
    const id = d.td.id("crashed");
    const child = spawn(process.execPath, [RUNNER, "--socket", d.td.socketPath, "--namespace", d.td.namespace, "--id", id], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const exited = new Promise((resolve) => child.once("close", resolve));
    try {
      await until(() => out.includes("\n") || child.exitCode !== null, () => `the runner to start its container; stderr: ${err}`, 30_000);
      const [, started, runId] = out.trim().split(" ");
      expect(started).toBe(id);
      expect((await d.grpc.state(id)).labels[RUN_LABEL]).toBe(runId);
      // Its runner lives: a new run's start leaves the container alone.
      const alive = new RigRun();
      await using first = await sleeper("while-alive").start(d.grpc, { run: alive });
      expect(await alive.reapOnce(d.grpc)).toEqual([]);
      expect((await d.grpc.state(id)).labels[RUNNER_PID_LABEL]).toBe(String(child.pid));
      void first;
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    // The runner is gone and its container is still there...
    expect((await d.grpc.state(id)).status).toBeGreaterThan(0);
    const next = new RigRun();
    await using second = await sleeper("next-run").start(d.local, { run: next });
    // ...until the next run's first start, which removed it.
    expect(await next.reapOnce(d.local)).toEqual([id]);
    expect(await codeOf(d.grpc.state(id))).toBe("not_found");
    expect((await second.state()).labels[RUN_LABEL]).toBe(next.id);
  });

  it("a runner whose pid now belongs to a process started at another time, or a boot of this host gone by, is gone; another host's runner is never judged", async () => {
    const me = thisRunner();
    const reused = d.td.id("pid-reused");
    const rebooted = d.td.id("rebooted");
    const foreign = d.td.id("foreign");
    await d.grpc.create(reused, { network: "none", process: { args: ["sleep", "600"] }, labels: runLabels("old-run", { ...me, started: "1" }) });
    await d.grpc.create(rebooted, { network: "none", process: { args: ["sleep", "600"] }, start: false, labels: runLabels("old-run", { ...me, boot: "00000000-0000-0000-0000-000000000000" }) });
    await d.grpc.create(foreign, { network: "none", process: { args: ["sleep", "600"] }, start: false, labels: runLabels("other-host-run", { ...me, host: `not-${me.host}`, started: "1" }) });
    try {
      expect((await reapAbandoned(d.grpc)).sort()).toEqual([rebooted, reused].sort());
      expect(await codeOf(d.grpc.state(reused))).toBe("not_found");
      expect(await codeOf(d.grpc.state(rebooted))).toBe("not_found");
      expect((await d.grpc.state(foreign)).id).toBe(foreign);
    } finally {
      await d.grpc.delete(foreign, { force: true });
    }
  });

  it("berth rm --run ID removes that run's containers, running and stopped, and no other's", async () => {
    const run = new RigRun(`rm-run-${process.pid}`);
    const other = new RigRun(`rm-other-${process.pid}`);
    const running = await sleeper("rm-running").start(d.grpc, { run });
    const stopped = await new ContainerBuilder().withName(d.td.id("rm-stopped")).withNetwork("none").withCommand(["true"]).withWaitStrategy(Wait.forExit(0)).start(d.grpc, { run });
    await using kept = await sleeper("rm-kept").start(d.grpc, { run: other });
    const env = { BERTH_SOCKET: d.td.socketPath, BERTH_NAMESPACE: d.td.namespace };
    const r = await berth(["rm", "--run", run.id], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter((l) => l !== "").sort()).toEqual([running.getId(), stopped.getId()].sort());
    expect(await codeOf(d.grpc.state(running.getId()))).toBe("not_found");
    expect(await codeOf(d.grpc.state(stopped.getId()))).toBe("not_found");
    expect((await kept.state()).labels[RUN_LABEL]).toBe(other.id);
    // ids and --run together, or neither, are usage mistakes.
    expect((await berth(["rm", "--run", run.id, kept.getId()], env)).code).toBe(2);
    expect((await berth(["rm"], env)).code).toBe(2);
  });
});
