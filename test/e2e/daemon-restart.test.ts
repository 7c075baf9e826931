// Containers outlive the daemon: conmon is their monitor. A daemon started
// again on the same state directory adopts the running ones (restore) and
// reports the exits that happened while it was down, once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StateInfo } from "../../src/backend/backend.js";
import { Status } from "../../src/client/types.js";
import { Remote } from "../../src/remote/remote.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

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
    await first.create(dies, { process: { args: ["sh", "-c", "sleep 1; exit 23"] } });
    await first.addProcess(live, "bg", { args: ["sh", "-c", "sleep 1; exit 5"] });
    await daemon.remote.cleanup();

    // While no daemon runs, "dies" and the exec "bg" exit.
    await new Promise((r) => setTimeout(r, 1500));

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
