// The restart manager's decisions, without containers: libcontainerd's
// back-off (100 ms, doubling, capped at a minute, reset after a 10 s run)
// and the four policies.
import { describe, expect, it } from "vitest";

import { RestartPolicy_Kind } from "../../src/client/types.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { RestartManager, restartPolicyMessage, restartPolicyOf, type RestartPolicySpec } from "../../src/engine/restart-manager.js";

const spec = (name: RestartPolicySpec["name"], maxRetries = 0): RestartPolicySpec => ({ name, maxRetries });

// delays runs exits through the manager as if each restart happened at
// once, and lists the delays it chose (undefined: no restart).
function delays(m: RestartManager, exits: Array<[code: number, ranMs: number]>): Array<number | undefined> {
  return exits.map(([code, ranMs]) => {
    const d = m.decide(code, ranMs);
    m.restarted();
    return d;
  });
}

describe("RestartManager", () => {
  it("backs off from 100 ms, doubling up to a minute, and resets after a 10 s run", () => {
    const m = RestartManager.initial(spec("always"));
    const quick = Array.from({ length: 12 }, () => [1, 50] as [number, number]);
    expect(delays(m, quick)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(delays(m, [[1, 10_000], [1, 50]])).toEqual([100, 200]);
    expect(m.state.count).toBe(14);
  });

  it("on-failure restarts non-zero exits only, at most max times", () => {
    const m = RestartManager.initial(spec("on-failure", 2));
    expect(delays(m, [[0, 50]])).toEqual([undefined]);
    expect(delays(m, [[3, 50], [3, 50], [3, 50]])).toEqual([100, 200, undefined]);
    expect(m.state.count).toBe(2);
    const unbounded = RestartManager.initial(spec("on-failure"));
    expect(delays(unbounded, Array.from({ length: 5 }, () => [1, 0] as [number, number])).every((d) => d !== undefined)).toBe(true);
  });

  it("never restarts a container a user stopped, except always at a daemon's start", () => {
    for (const name of ["always", "unless-stopped", "on-failure"] as const) {
      const m = RestartManager.initial(spec(name));
      m.stoppedByUser();
      expect(m.decide(137, 50)).toBeUndefined();
      expect(m.decide(137, 50, true)).toBe(name === "always" ? 100 : undefined);
    }
    expect(RestartManager.initial(spec("no")).decide(1, 0, true)).toBeUndefined();
  });

  it("cancels a pending restart when a user stops the container", () => {
    const m = RestartManager.initial(spec("always"));
    expect(m.decide(1, 0)).toBe(100);
    expect(m.pending).toBe(true);
    // A second decision while one is pending changes nothing.
    expect(m.decide(1, 0)).toBeUndefined();
    expect(m.stoppedByUser()).toBe(true);
    expect(m.pending).toBe(false);
  });

  it("counts a restart when it happens, not when it is decided, and never one a user cancelled", () => {
    const m = RestartManager.initial(spec("on-failure", 2));
    expect(m.decide(3, 50)).toBe(100);
    expect([m.state.count, m.nextRestartAt?.getTime()]).toEqual([0, m.state.pendingAt]);
    m.restarted();
    expect([m.state.count, m.pending, m.nextRestartAt]).toEqual([1, false, undefined]);
    // A second call without a pending restart counts nothing.
    m.restarted();
    expect(m.state.count).toBe(1);
    expect(m.decide(3, 50)).toBe(200);
    m.stoppedByUser();
    expect([m.state.count, m.pending]).toEqual([1, false]);
  });

  it("reads an older record, whose count held its pending restart, without counting that restart twice", () => {
    const old = new RestartManager({ policy: spec("always"), count: 3, backoffMs: 400, manuallyStopped: false, pendingAt: Date.now() + 400 });
    expect(old.state.count).toBe(2);
    old.restarted();
    expect(old.state.count).toBe(3);
    // Read again (the record now says how it counts), nothing changes.
    expect(new RestartManager({ ...old.state, pendingAt: Date.now() }).state.count).toBe(3);
    expect(new RestartManager({ policy: spec("always"), count: 3, backoffMs: 400, manuallyStopped: false }).state.count).toBe(3);
  });

  it("checks the policy given to Create", () => {
    expect(restartPolicyOf(undefined)).toEqual(spec("no"));
    expect(restartPolicyOf({ kind: RestartPolicy_Kind.ON_FAILURE, maxRetries: 3 })).toEqual(spec("on-failure", 3));
    expect(() => restartPolicyOf({ kind: RestartPolicy_Kind.ALWAYS, maxRetries: 3 })).toThrow(BerthError);
    expect(() => restartPolicyOf({ kind: 42 as RestartPolicy_Kind })).toThrow(/unknown restart policy/);
    expect(restartPolicyMessage(spec("unless-stopped"))).toMatchObject({ kind: RestartPolicy_Kind.UNLESS_STOPPED, maxRetries: 0 });
  });
});
