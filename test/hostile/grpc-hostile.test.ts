// The hostile-input suite over gRPC: for every RPC of ContainerService,
// EventService and SystemService, fast-check generates bad and random
// requests (hostile ids, huge repeated fields, wrong enum numbers, edge
// numbers, bogus signals and specs, paths of every kind, raw bytes) and a
// proto-only client in a process of its own sends them to a real daemon. Each
// answer must be a proper status (never UNKNOWN, never INTERNAL for a
// client's mistake, never UNAVAILABLE while the daemon is up), before its
// deadline, with a message under 1 KiB; another client's Ping must answer
// within 100 ms throughout (the daemon's own part of the wait, host CPU
// contention taken off: ping-probe.ts); and at the end every container the
// suite made deletes and nothing stays on disk, in mounts, cgroups or
// processes. The daemon runs in a process of its own (hostile-daemon.ts),
// as does the caller and the probe's client.
//
// Seeds are printed and reproducible: BERTH_HOSTILE_SEED=<seed> (and
// BERTH_HOSTILE_PATH=<path> with -t "<test name>" to replay one
// counterexample); BERTH_HOSTILE_RUNS=<factor> scales the number of runs.
import { createServer, type AddressInfo, type Server } from "node:net";

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { until } from "../fixtures/until.js";
import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { judgeCase, targetOf } from "./case-rules.js";
import type { HostileCase, Judged, PropertyDef } from "./case-types.js";
import { everyRpcProperties, grpcProperties } from "./grpc-cases.js";
import { HostileCaller, type CallResult, type ServiceName } from "./hostile-caller.js";
import { codeName, cut, judgeResult, summarize, type Violation } from "./judge.js";
import { findLeaks } from "./leak-check.js";
import { startHostileDaemon, type HostileDaemon } from "./hostile-daemon.js";
import { describeSlow, epochNow, PingProbe, SPAWN_BOUND_MS } from "./ping-probe.js";
import { rpcInventory } from "./rpc-inventory.js";
import { DefectLog, hostileSettings } from "./settings.js";
import { FIXTURES, World, type FixtureName } from "./world.js";

const settings = hostileSettings();
const defects = new DefectLog("gRPC");
// busiest: per property, how slow the other client's pings got.
const busiest: string[] = [];

describe(`hostile input over gRPC (seed ${settings.seed})`, () => {
  let daemon: HostileDaemon;
  let world: World;
  let held: Server | undefined;
  let caller: HostileCaller;
  let probe: PingProbe;
  // control reads the fixtures' states, apart from the hostile calls.
  let control: GrpcJsClient;
  // callLog: the latest hostile calls with when they were in flight, to say
  // which ones a slow ping waited behind.
  const callLog: Array<{ from: number; to: number; text: string }> = [];
  const inFlightDuring = (from: number, to: number): string => {
    const overlapping = callLog.filter((c) => c.from < to && c.to > from).map((c) => c.text);
    return overlapping.length === 0 ? "no hostile call (the daemon's own background work, or cleanup of an earlier call)" : overlapping.slice(-3).join(" | ");
  };

  // send makes one judged call and notes what it created.
  const send = async (j: Judged): Promise<CallResult> => {
    const from = epochNow();
    const r = await caller.call({
      service: j.service as ServiceName,
      method: j.method,
      request: j.request,
      raw: j.raw,
      namespace: j.namespace,
      deadlineMs: j.deadlineMs,
      streamMs: j.streamMs,
      endInput: j.endInput,
    });
    if (r.code === 0 && !r.open && j.service === "ContainerService") {
      if (j.method === "Create" && r.containerId) world.noteCreated(j.namespace, r.containerId);
      if (j.method === "Delete" && !j.raw) world.noteDeleted(j.namespace, (j.request as { id: string }).id);
      if (j.method === "AddProcess" && r.processId) world.noteExec((j.request as { id: string }).id, r.processId);
    }
    callLog.push({ from, to: epochNow(), text: describeCall(j, r) });
    if (callLog.length > 500) callLog.splice(0, 100);
    return r;
  };

  // prepare resolves a case and reads the state of the fixture it names, so
  // the rules judge it against what the container is now.
  const prepare = async (c: HostileCase): Promise<Judged> => {
    const request = world.resolve(c.request);
    const target = targetOf(c, request);
    if (target !== undefined && world.fixtureNameOf(target) !== undefined && world.known(target)) {
      const state = await control
        .unary<{ container: { status: number; processes?: { id: string; status: number }[] } }>("ContainerService", "State", { id: target }, { namespace: world.namespace, deadlineMs: 5000 })
        .catch(() => undefined);
      if (state === undefined) world.status.delete(target);
      else world.noteState(target, state.container);
    }
    return judgeCase(c, world, request);
  };

  const mustCall = async (method: string, request: object): Promise<CallResult> => {
    const r = await caller.call({ service: "ContainerService", method, request, namespace: world.namespace, deadlineMs: 15_000 });
    if (r.code !== 0) throw new Error(`fixture ${method} ${summarize(request)} failed: ${codeName(r.code)} ${r.details}`);
    return r;
  };

  beforeAll(async () => {
    console.log(`hostile gRPC suite: seed ${settings.seed} (BERTH_HOSTILE_SEED=${settings.seed} replays it)`);
    daemon = await startHostileDaemon("hostile");
    world = new World(daemon.namespace, daemon.id, `${process.pid}-${Date.now().toString(36)}`);
    world.network = daemon.network.name;
    // A host port something else holds, for Create's port bindings.
    held = createServer();
    await new Promise<void>((listening) => held!.listen(0, "127.0.0.1", listening));
    world.takenPort = (held.address() as AddressInfo).port;
    caller = new HostileCaller(daemon.socketPath);
    probe = new PingProbe(daemon.socketPath, daemon.pid, settings.pingBoundMs);
    control = createGrpcJsClient(daemon.socketPath);
    const sleeper = { args: ["sleep", "100000"] };
    const specs: Record<FixtureName, object> = {
      run: { process: sleeper },
      tty: { process: { args: ["sh"], terminal: true, stdin: true, consoleSize: { width: 80, height: 24 } } },
      stdin: { process: { args: ["cat"], stdin: true } },
      exited: { process: { args: ["true"] } },
      paused: { process: sleeper },
      victim: { process: sleeper },
      pr: { process: sleeper },
      upd: { process: sleeper },
    };
    for (const name of FIXTURES) {
      const id = daemon.id(name);
      await mustCall("Create", { id, ...specs[name] });
      world.fixtures.set(name, id);
      world.noteCreated(world.namespace, id);
    }
    for (const [name, pid, args] of [
      ["run", "e1", ["sleep", "100000"]],
      ["run", "e0", ["true"]],
      ["victim", "v1", ["sleep", "100000"]],
    ] as const) {
      await mustCall("AddProcess", { id: world.fixture(name), processId: pid, process: { args } });
      world.noteExec(world.fixture(name), pid);
    }
    await mustCall("Wait", { id: world.fixture("exited") });
    await mustCall("Pause", { id: world.fixture("paused") });
    // Warm-up: one case of every property, unjudged and unprobed, so the
    // probe measures the daemon's steady state, not its first compile of
    // each code path (a one-time cost that the daemon pays at its first
    // call of each kind).
    for (const def of [...grpcProperties(world, settings.runs), ...everyRpcProperties(rpcInventory(), settings.runs)]) {
      for (const c of fc.sample(def.arb, { numRuns: 1, seed: settings.seed })) await send(await prepare(c));
    }
    await deleteCreated((id) => world.fixtureNameOf(id) === undefined);
    console.log(`hostile gRPC suite: ${await probe.idleBaseline(1000)}`);
  }, 120_000);

  afterAll(async () => {
    defects.print();
    if (daemon !== undefined && daemon.exitText() === undefined) busiest.push(`the daemon's resident size at the end: ${daemon.rssMb()} MB`);
    console.log(`hostile gRPC suite, per property:\n${busiest.join("\n")}`);
    // Whatever the leak test could not delete goes here, best effort, so
    // one failure does not leak into the host.
    if (caller !== undefined) {
      for (const { namespace, id } of world.created.values()) {
        await caller.call({ service: "ContainerService", method: "Resume", request: { id }, namespace, deadlineMs: 5000 });
        await caller.call({ service: "ContainerService", method: "Delete", request: { id, force: true }, namespace, deadlineMs: 15_000 });
      }
      await caller.close();
    }
    await probe?.close();
    held?.close();
    control?.close();
    world?.removeHostPaths();
    if (daemon?.stderr()) console.log(`hostile gRPC suite, the daemon's stderr:\n${daemon.stderr()}`);
    await daemon?.stop();
  });

  it("covers every RPC in proto/berth/v1", () => {
    const declared = rpcInventory().map((r) => r.name);
    const covered = new Set(grpcProperties(world, () => 1).map((p) => p.rpc));
    const missing = declared.filter((name) => !covered.has(name));
    const stale = [...covered].filter((name) => !declared.includes(name));
    expect({ missing, stale }, "every RPC needs hostile cases of its own in grpc-cases.ts").toEqual({ missing: [], stale: [] });
  });

  const runProperty = async (def: PropertyDef): Promise<void> => {
    const problems: string[] = [];
    // surveyed: the bad answers of a survey run (BERTH_HOSTILE_SURVEY=1).
    const surveyed: string[] = [];
    await probe.start();
    const started = performance.now();
    const details = await fc.check(
      fc.asyncProperty(def.arb, async (c) => {
        const j = await prepare(c);
        const r = await send(j);
        const violations = judgeResult(j, r);
        for (const v of violations) defects.add(j.rpc, j.input, v, describeCall(j, r));
        if (violations.length === 0) return;
        if (!settings.survey) throw new Error(describeFailure(j, r, violations));
        surveyed.push(describeFailure(j, r, violations));
      }),
      {
        seed: settings.seed,
        numRuns: def.numRuns,
        plugins: [fc.interruptAfterTimeLimit(settings.propertyTimeLimitMs)],
        ...(settings.path !== undefined && { path: settings.path }),
      },
    );
    const report = await probe.stop();
    // A call the time limit cut off is still under way: let it end.
    await until(() => caller.inFlight === 0, "hostile calls in flight to end", 20_000).catch(() => problems.push(`${caller.inFlight} calls still in flight 20 s after the property ended`));
    // What this property created goes now, so the daemon (and the host)
    // does not carry a growing load into the next one.
    problems.push(...(await deleteCreated((id) => world.fixtureNameOf(id) === undefined)));
    const elapsed = Math.round(performance.now() - started);
    if (details.failed) {
      problems.push(
        [
          `${def.name}: failed after ${details.numRuns} runs and ${details.numShrinks} shrinks (${elapsed} ms)`,
          `replay: BERTH_HOSTILE_SEED=${details.seed} BERTH_HOSTILE_PATH=${details.counterexamplePath} npx vitest run test/hostile -t ${JSON.stringify(def.name)}`,
          `counterexample: ${summarize((details.counterexample as unknown[] | null)?.[0])}`,
          String((details.errorInstance as Error | null)?.message ?? details.errorInstance),
        ].join("\n"),
      );
    }
    if (surveyed.length > 0) problems.push(`${def.name}: ${surveyed.length} bad answers in ${details.numRuns} runs (survey); the first three:\n${surveyed.slice(0, 3).join("\n\n")}`);
    const bound = probe.boundMs;
    if (report.slow.length > 0) {
      const v: Violation = { kind: `another client's Ping over ${bound} ms by the daemon's own doing`, text: `Ping took up to ${Math.round(report.maxOwnMs)} ms of the daemon's own` };
      const worst = report.slow[0]!;
      defects.add(def.rpc, def.name, v, `${describeSlow(worst)} during: ${inFlightDuring(worst.at, worst.at + worst.ms)}`);
      problems.push(
        `another client's Ping waited longer than ${bound} ms on the daemon (host CPU contention taken off), or over ${SPAWN_BOUND_MS} ms on its spawns, while "${def.name}" ran: ${report.slow.map((s) => `${describeSlow(s)}, during: ${inFlightDuring(s.at, s.at + s.ms)}`).join("; ")} (of ${report.pings} pings)`,
      );
    }
    busiest.push(`${def.name}: ping max ${Math.round(report.maxMs)} ms, the daemon's own max ${Math.round(report.maxOwnMs)} ms (in spawns up to ${Math.round(report.spawnWaitMs)} ms), ${report.pings} pings, ${details.numRuns} runs, ${elapsed} ms`);
    if (report.contended > 0) console.log(`${def.name}: ${report.contended} of ${report.pings} pings over ${bound} ms only by host CPU contention (not counted)`);
    for (const failure of report.failures.slice(0, 3)) problems.push(`another client's ${failure}`);
    const dead = await probe.alive();
    if (dead !== undefined) problems.push(dead);
    if (daemon.exitText() !== undefined) problems.push(`the daemon ${daemon.exitText()}; its stderr:\n${cut(daemon.stderr(), 2000)}`);
    if (problems.length > 0) throw new Error(problems.join("\n\n"));
  };

  describe("every RPC, generated requests", () => {
    const defs = (): PropertyDef[] => [...grpcProperties(world, settings.runs), ...everyRpcProperties(rpcInventory(), settings.runs)];
    // The names are known before beforeAll runs; the arbitraries need the
    // world, so each test looks its property up by name.
    const names = [...grpcProperties(placeholderWorld(), () => 1), ...everyRpcProperties(rpcInventory(), () => 1)].map((p) => p.name);
    for (const name of names) {
      it(name, async () => {
        const def = defs().find((p) => p.name === name);
        if (def === undefined) throw new Error(`no property named ${name}`);
        await runProperty(def);
      }, 120_000);
    }
  });

  // deleteCreated deletes (with force) the containers the suite created
  // that match, four at a time, and says which ones the daemon refused.
  const deleteCreated = async (which: (id: string) => boolean): Promise<string[]> => {
    const refused: string[] = [];
    const all = [...world.created.values()].filter(({ id }) => which(id));
    const deleteOne = async ({ namespace, id }: { namespace: string; id: string }) => {
      const r = await caller.call({ service: "ContainerService", method: "Delete", request: { id, force: true }, namespace, deadlineMs: 15_000 });
      if (r.code !== 0 && r.code !== 5) {
        const fixture = world.fixtureNameOf(id);
        const v: Violation = { kind: "Delete(force) of a container the suite made failed", text: `${codeName(r.code)} "${cut(r.details)}"` };
        defects.add("ContainerService/Delete", fixture ? `cleanup of fixture "${fixture}"` : "cleanup", v, `${id}: ${v.text}`);
        refused.push(`Delete(force) ${id}${fixture ? ` (the ${fixture} fixture)` : ""}: ${codeName(r.code)} "${cut(r.details)}"`);
      } else {
        world.noteDeleted(namespace, id);
      }
    };
    for (let i = 0; i < all.length; i += 4) await Promise.all(all.slice(i, i + 4).map(deleteOne));
    return refused;
  };

  it("deletes every container it created, leaving no folder, mount, cgroup or process behind", async () => {
    await until(() => caller.inFlight === 0, "hostile calls in flight to end", 20_000);
    const refused = await deleteCreated(() => true);
    const listed = await caller.call({ service: "ContainerService", method: "List", request: {}, namespace: world.namespace, deadlineMs: 5000 });
    let leaks: string[] = [];
    await until(
      () => (leaks = findLeaks(daemon.stateDir, daemon.cgroupParent, [world.paths.escape])).length === 0,
      "the state dir, mounts, cgroups and processes to be clean",
      10_000,
    ).catch(() => {});
    for (const leak of leaks) defects.add("*", "after cleanup", { kind: "left behind", text: leak }, leak);
    expect({ refused, listed: listed.firstResponse, leaks }).toEqual({ refused: [], listed: '{"containers":[]}', leaks: [] });
  }, 120_000);
});

function describeCall(j: Judged, r: CallResult): string {
  const ns = j.namespace !== undefined ? ` [namespace ${summarize(j.namespace)}]` : "";
  return `${j.rpc}${ns} ${summarize(j.request)} -> ${r.open ? "stream open" : codeName(r.code)} "${cut(r.details, 200)}" in ${Math.round(r.elapsedMs)} ms`;
}

function describeFailure(j: Judged, r: CallResult, violations: Violation[]): string {
  return [`${j.rpc} (${j.input}): ${violations.map((v) => v.text).join("; ")}`, `request: ${summarize(j.request)}`, `answer: ${r.open ? "stream open" : codeName(r.code)} "${cut(r.details)}" after ${Math.round(r.elapsedMs)} ms`].join("\n");
}

// placeholderWorld stands in for the world when only property names are
// needed (at collection time, before any daemon runs).
function placeholderWorld(): World {
  return new Proxy({} as World, {
    get: (_t, key) => {
      if (key === "paths") return { dir: "/d", emptyDir: "/e", file: "/f", garbage: "/g", missing: "/m", escape: "/x" };
      if (key === "onlineCpus") return [0];
      if (key === "baseSpec") return { process: {}, linux: {} };
      return undefined;
    },
  });
}
