// Containers outlive the daemon: conmon is their monitor. A daemon started
// again on the same state directory adopts the running ones (restore) and
// reports the exits that happened while it was down, once.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StateInfo } from "../../src/backend/backend.js";
import { Status } from "../../src/client/types.js";
import { Remote } from "../../src/remote/remote.js";
import { trapsTerm } from "../fixtures/traps-term.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

// exitsOnTerm runs until SIGTERM, then exits with code.
const exitsOnTerm = (code: number) => ["sh", "-c", `trap 'exit ${code}' TERM; while true; do sleep 0.1; done`];

const pidIn = (path: string) => Number(readFileSync(path, "utf8"));

// gone says a process has exited: no longer in /proc, or a zombie (its
// parent, which may be this test process, has not reaped it).
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") === true;
  } catch {
    return true;
  }
}

describe("a daemon stopped and started again", () => {
  let daemon: TestDaemon;
  let second: Remote | undefined;

  beforeAll(async () => {
    daemon = await startTestDaemon("restart", { serve: false });
  });

  afterAll(async () => {
    if (second) {
      const c = await second.client(undefined, { namespace: daemon.namespace });
      for (const x of await c.list()) await c.delete(x.id, { force: true }).catch(() => {});
      await second.cleanup();
    }
    await daemon.stop();
  });

  it("adopts running containers and reports exits that happened while it was down", { timeout: 60_000 }, async () => {
    const ns = { namespace: daemon.namespace };
    const first = await daemon.remote.client(undefined, ns);
    const live = daemon.id("live");
    const dies = daemon.id("dies");
    const created = await first.create(live, { process: { args: ["sleep", "300"] } });
    const dying = await first.create(dies, { process: { args: exitsOnTerm(23) } });
    const bg = await first.addProcess(live, "bg", { args: exitsOnTerm(5) });
    await daemon.remote.cleanup();

    // While no daemon runs, "dies" and the exec "bg" exit, on a signal the
    // test sends; their monitors record the exits and go.
    const folder = join(daemon.stateDir, "containers", daemon.namespace);
    const monitors = [pidIn(join(folder, dies, "conmon.pid")), pidIn(join(folder, live, "exec", "bg", "conmon.pid"))];
    await until(() => trapsTerm(dying.pid) && trapsTerm(bg.pid), "both shells to trap SIGTERM", 10_000);
    process.kill(dying.pid, "SIGTERM");
    process.kill(bg.pid, "SIGTERM");
    await until(() => [dying.pid, bg.pid, ...monitors].every(gone), "the two processes and their monitors to exit", 10_000);

    const seen: string[] = [];
    second = await Remote.start({ stateDir: daemon.stateDir, socketPath: daemon.socketPath, cgroupParent: daemon.cgroupParent, serve: false });
    const client = await second.client(undefined, ns);
    const replay = (async () => {
      for await (const e of client.subscribe({ sinceSequence: 0n, until: new Date(Date.now() + 300) })) seen.push(`${e.containerId}:${e.type}:${e.processId}:${e.exitCode}`);
    })();
    await replay;
    const liveState = await client.state(live);
    expect(liveState.status).toBe(Status.RUNNING);
    expect(liveState.pid).toBe(created.pid);
    expect(liveState.processes.find((p) => p.id === "bg")?.exitCode).toBe(5);
    const diesState = await client.state(dies);
    expect(diesState.status).toBe(Status.STOPPED);
    expect(diesState.exitCode).toBe(23);
    expect((await client.wait(dies)).exitCode).toBe(23);
    // Events: the restore of "live", the exits of "bg" and "dies", each once.
    const after = seen.filter((e) => /:(6|4|8):/.test(e));
    expect(after.filter((e) => e.startsWith(`${live}:6:`))).toHaveLength(1);
    expect(after).toContain(`${live}:8:bg:5`);
    expect(after.filter((e) => e.startsWith(`${dies}:4:`))).toEqual([`${dies}:4:init:23`]);

    // Every operation works on the adopted container.
    const backendSeen: StateInfo[] = [];
    const withBackend = await second.client({ stateChanged: (_id, s) => void backendSeen.push(s) }, ns);
    await withBackend.pause(live);
    await withBackend.resume(live);
    expect((await withBackend.stats(live)).pids?.current).toBeGreaterThanOrEqual(1n);
    await withBackend.signal(live, "KILL");
    expect((await withBackend.wait(live)).exitCode).toBe(137);
    await until(() => backendSeen.some((s) => s.state === "exit"), "exit of the adopted container");
    await withBackend.close();
  });
});
