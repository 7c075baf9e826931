// Logs live in the state directory, written by conmon, so they outlive the
// daemon: a daemon started again serves what a process wrote before and
// while it was down, follows what it writes after, and Attach replays it.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Remote } from "../../src/remote/remote.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

describe("logs across a daemon restart", () => {
  let daemon: TestDaemon;
  let second: Remote | undefined;

  beforeAll(async () => {
    daemon = await startTestDaemon("logsrestart", { serve: false });
  });

  afterAll(async () => {
    if (second) {
      const c = await second.client(undefined, { namespace: daemon.namespace });
      for (const x of await c.list()) await c.delete(x.id, { force: true }).catch(() => {});
      await c.close();
      await second.cleanup();
    }
    await daemon.stop();
  });

  it("serves and follows the logs of init and exec'd processes after the daemon restarts", { timeout: 60_000 }, async () => {
    const ns = { namespace: daemon.namespace };
    const first = await daemon.remote.client(undefined, ns);
    const cid = daemon.id("talker");
    // The container writes each later line when the test signals it, so
    // "during" is written while no daemon runs and "after" while the second
    // one follows, however slow the host.
    const script = "trap 'echo during >&2' USR1; trap 'echo after; exit 4' USR2; echo before; while :; do sleep 0.05; done";
    const created = await first.create(cid, { process: { args: ["sh", "-c", script] } });
    await first.addProcess(cid, "side", { args: ["sh", "-c", "echo from-exec"] });
    expect((await first.wait(cid, { processId: "side" })).exitCode).toBe(0);
    const seen: string[] = [];
    for await (const l of first.logs(cid, { follow: true, signal: AbortSignal.timeout(10_000) })) {
      seen.push(Buffer.from(l.line).toString());
      break;
    }
    expect(seen).toEqual(["before"]);
    await first.close();
    await daemon.remote.cleanup();

    // While no daemon runs, the container writes "during" to the log conmon keeps.
    process.kill(created.pid, "SIGUSR1");
    const initLog = join(daemon.stateDir, "containers", daemon.namespace, cid, "init.log");
    await until(() => readFileSync(initLog, "utf8").includes("during"), "the container to log \"during\" while no daemon runs");

    second = await Remote.start({ stateDir: daemon.stateDir, socketPath: daemon.socketPath, cgroupParent: daemon.cgroupParent, serve: false });
    const client = await second.client(undefined, ns);
    try {
      const followed: string[] = [];
      const following = (async () => {
        for await (const l of client.logs(cid, { follow: true })) followed.push(`${l.stream}:${Buffer.from(l.line).toString()}`);
      })();
      await until(() => followed.includes("2:during"), "the second daemon to serve what was logged while none ran");
      process.kill(created.pid, "SIGUSR2");
      await following;
      expect(followed).toEqual(["1:before", "2:during", "1:after"]);
      const exec: string[] = [];
      for await (const l of client.logs(cid, { processId: "side" })) exec.push(Buffer.from(l.line).toString());
      expect(exec).toEqual(["from-exec"]);
      const tail: string[] = [];
      for await (const l of client.logs(cid, { tail: 1 })) tail.push(Buffer.from(l.line).toString());
      expect(tail).toEqual(["after"]);
      let replay = "";
      let exitCode: number | undefined;
      for await (const out of client.attach(cid, { logs: true })) {
        if ("exit" in out) exitCode = out.exit.exitCode;
        else replay += Buffer.from(out.data).toString();
      }
      expect([replay, exitCode]).toEqual(["before\nduring\nafter\n", 4]);
    } finally {
      await client.close();
    }
  });
});
