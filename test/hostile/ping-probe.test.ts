// The Ping probe (ping-probe.ts) fails a daemon that stalls, and only then:
// a daemon whose loop busy-loops for 400 ms of CPU on one RPC (daemon-stall-hook.mjs,
// as a handler with a quadratic loop would), or that is stopped outright
// for 400 ms (a synchronous call that blocks it off the CPU), fails it; the
// same daemon answering other hostile calls does not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { HostileCaller } from "./hostile-caller.js";
import { startHostileDaemon, type HostileDaemon } from "./hostile-daemon.js";
import { describeSlow, PingProbe, type ProbeReport } from "./ping-probe.js";
import { hostileSettings } from "./settings.js";

const STALLED = "/berth.v1.SystemService/Version";
const STALL_MS = 400;

describe("the hostile suite's Ping probe", () => {
  let daemon: HostileDaemon;
  let caller: HostileCaller;
  let probe: PingProbe;

  beforeAll(async () => {
    daemon = await startHostileDaemon("probe", { stallRpc: STALLED, stallMs: STALL_MS });
    caller = new HostileCaller(daemon.socketPath);
    probe = new PingProbe(daemon.socketPath, daemon.pid, hostileSettings().pingBoundMs);
    // First calls of each kind compile their code paths: not timed.
    await caller.call({ service: "ContainerService", method: "State", request: { id: "nothing" }, namespace: daemon.namespace, deadlineMs: 10_000 });
    await caller.call({ service: "ContainerService", method: "List", request: {}, namespace: daemon.namespace, deadlineMs: 10_000 });
    await caller.call({ service: "ContainerService", method: "Signal", request: { id: "", signal: "SIGBOGUS" }, namespace: daemon.namespace, deadlineMs: 10_000 });
    console.log(`ping probe test: ${await probe.idleBaseline(500)}`);
  });

  afterAll(async () => {
    await caller?.close();
    await probe?.close();
    await daemon?.stop();
  });

  // probeWhile runs the probe around work, with a quiet 100 ms either side.
  async function probeWhile(work: () => Promise<unknown>): Promise<ProbeReport> {
    await probe.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await work();
    await new Promise((resolve) => setTimeout(resolve, 100));
    return probe.stop();
  }

  const calls = (method: string, request: object, n: number) =>
    Promise.all(Array.from({ length: n }, () => caller.call({ service: "ContainerService", method, request, namespace: daemon.namespace, deadlineMs: 10_000 })));

  it("passes a daemon answering hostile calls without stalling", async () => {
    const codes = new Set<number>();
    const report = await probeWhile(async () => {
      for (let i = 0; i < 10; i++) {
        const answers = await Promise.all([calls("State", { id: `no-such-${i}` }, 4), calls("Signal", { id: "", signal: "SIGBOGUS" }, 4)]);
        for (const r of answers.flat()) codes.add(r.code);
      }
    });
    // Answered, as NOT_FOUND and INVALID_ARGUMENT, not failed to send.
    expect([...codes].sort()).toEqual([3, 5]);
    expect(report.failures).toEqual([]);
    expect(report.slow.map(describeSlow), `bound ${probe.boundMs} ms`).toEqual([]);
  });

  it("fails a daemon whose loop busy-loops on an RPC", async () => {
    let answered = { code: -2, details: "" };
    const report = await probeWhile(async () => {
      answered = await caller.call({ service: "SystemService", method: "Version", request: {}, deadlineMs: 10_000 });
    });
    expect(answered.code, answered.details).toBe(0);
    expect(report.slow.length, `bound ${probe.boundMs} ms; slowest ${Math.round(report.maxMs)} ms, own ${Math.round(report.maxOwnMs)} ms`).toBeGreaterThan(0);
    const worst = report.slow[0]!;
    console.log(`ping probe test, a ${STALL_MS} ms busy loop on Version: ${describeSlow(worst)}`);
    // Most of the stall is seen, and seen as the daemon's loop running.
    expect(worst.ownMs).toBeGreaterThan(STALL_MS * 0.6);
    expect(worst.daemonCpuMs).toBeGreaterThan(STALL_MS * 0.5);
  });

  it("fails a daemon blocked off the CPU", async () => {
    const report = await probeWhile(async () => {
      process.kill(daemon.pid, "SIGSTOP");
      await new Promise((resolve) => setTimeout(resolve, STALL_MS));
      process.kill(daemon.pid, "SIGCONT");
    });
    expect(report.slow.length, `bound ${probe.boundMs} ms; slowest ${Math.round(report.maxMs)} ms`).toBeGreaterThan(0);
    console.log(`ping probe test, the daemon stopped ${STALL_MS} ms: ${describeSlow(report.slow[0]!)}`);
    expect(report.slow[0]!.ownMs).toBeGreaterThan(STALL_MS * 0.6);
  });
});
