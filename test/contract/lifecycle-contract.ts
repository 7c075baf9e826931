// The lifecycle part of the Client contract (issue 9): create without
// start, Start, Stop with a grace period, Restart, revisions with ABORTED on
// a stale one, Update and Inspect, against real runc through whichever
// Client the suite hands in.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StateInfo } from "../../src/backend/backend.js";
import type { Client } from "../../src/client/client.js";
import { RestartPolicy_Kind, Status } from "../../src/client/types.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { codeOf } from "../fixtures/code-of.js";
import { until } from "../fixtures/until.js";
import type { ContractSetup } from "./client-contract.js";

// READY_LOOP traps TERM (exit 42) and USR1 (exit 10) and says "ready" once
// the traps are set, so that a signal is never sent before its handler.
const READY_LOOP = ["sh", "-c", "trap 'exit 42' TERM; trap 'exit 10' USR1; echo ready; while true; do sleep 0.1; done"];
// DEAF ignores SIGTERM (a pid-namespace init without a handler does).
const DEAF = ["sh", "-c", "echo ready; while true; do sleep 0.1; done"];

export function lifecycleContract(name: string, setup: () => Promise<ContractSetup>, teardown: () => Promise<void>): void {
  describe(`Client contract, lifecycle: ${name}`, { timeout: 40_000 }, () => {
    let s: ContractSetup;
    let client: Client;
    const events: Array<{ id: string; state: StateInfo }> = [];
    const made = new Set<string>();
    const id = (n: string) => {
      const v = s.daemon.id(n);
      made.add(v);
      return v;
    };
    const eventsOf = (cid: string) => events.filter((e) => e.id === cid).map((e) => e.state.state);
    const waitEvents = (cid: string, n: number) => until(() => eventsOf(cid).length >= n, () => `${n} events of ${cid}, got ${eventsOf(cid).join(",")}`, 10_000);
    const logged = async (cid: string, processId = "init"): Promise<string[]> => {
      const lines: string[] = [];
      for await (const l of client.logs(cid, { processId })) lines.push(Buffer.from(l.line).toString().trim());
      return lines;
    };
    const ready = (cid: string, count = 1) => until(async () => (await logged(cid)).filter((l) => l === "ready").length >= count, `${cid} to be ready`, 10_000);
    const run = async (cid: string, args: string[]) => {
      const p = `x${Math.random().toString(36).slice(2, 8)}`;
      await client.addProcess(cid, p, { args });
      const exit = await client.wait(cid, { processId: p });
      return { exitCode: exit.exitCode, out: await logged(cid, p) };
    };

    beforeAll(async () => {
      s = await setup();
      client = await s.client({ stateChanged: (cid, state) => void events.push({ id: cid, state }) });
    });

    afterAll(async () => {
      for (const cid of made) await client.delete(cid, { force: true }).catch(() => {});
      await client.close();
      await teardown();
    });

    it("Create with start false prepares a CREATED container, listed with no process and only a create event; Start runs it once", async () => {
      const cid = id("created");
      const created = await client.create(cid, { process: { args: READY_LOOP }, start: false });
      expect([created.status, created.pid]).toEqual([Status.CREATED, 0]);
      expect((await client.list({ statuses: [Status.CREATED] })).map((c) => c.id)).toContain(cid);
      await waitEvents(cid, 1);
      expect(eventsOf(cid)).toEqual(["create"]);
      expect(await codeOf(client.addProcess(cid, "p", { args: ["true"] }))).toBe("failed_precondition");
      expect(await codeOf(client.signal(cid, "TERM"))).toBe("failed_precondition");
      expect(await codeOf(client.stats(cid))).toBe("failed_precondition");
      // Reconciling it finds nothing ended: it never ran.
      expect((await client.restore(cid)).status).toBe(Status.CREATED);
      expect((await client.wait(cid, { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e)) instanceof Error).toBe(true);

      const started = await client.start(cid);
      expect(started.status).toBe(Status.RUNNING);
      expect(started.pid).toBeGreaterThan(0);
      await ready(cid);
      // Starting a running container changes nothing.
      const again = await client.start(cid);
      expect([again.status, again.pid, again.revision]).toEqual([Status.RUNNING, started.pid, started.revision]);
      await waitEvents(cid, 2);
      expect(eventsOf(cid)).toEqual(["create", "start-container"]);
    });

    it("a created container deleted without ever starting leaves nothing behind and publishes create then delete", async () => {
      const cid = id("never");
      await client.create(cid, { process: { args: ["true"] }, start: false });
      const exit = await client.delete(cid);
      expect(exit.exitCode).toBe(0);
      await waitEvents(cid, 2);
      expect(eventsOf(cid)).toEqual(["create", "delete"]);
      expect(existsSync(join(s.daemon.stateDir, "containers", client.namespace, cid))).toBe(false);
      expect(existsSync(join(s.daemon.stateDir, "runc", client.namespace, cid))).toBe(false);
    });

    it("Stop sends the stop signal and returns the exit the process chose, without killing", async () => {
      const cid = id("stop");
      await client.create(cid, { process: { args: READY_LOOP } });
      await ready(cid);
      const stopped = await client.stop(cid, { timeoutSeconds: 10 });
      expect([stopped.killed, stopped.exitStatus?.exitCode, stopped.container.status]).toEqual([false, 42, Status.STOPPED]);
      // Stopping a stopped container succeeds and changes nothing.
      const revision = stopped.container.revision;
      const again = await client.stop(cid);
      expect([again.killed, again.exitStatus?.exitCode, again.container.revision]).toEqual([false, 42, revision]);
    });

    it("Stop of a process that ignores SIGTERM kills it once the timeout has passed, and says so", async () => {
      const cid = id("deaf");
      await client.create(cid, { process: { args: DEAF } });
      await ready(cid);
      const began = Date.now();
      const stopped = await client.stop(cid, { timeoutSeconds: 1 });
      const tookMs = Date.now() - began;
      expect([stopped.killed, stopped.exitStatus?.exitCode]).toEqual([true, 137]);
      // The timeout, within a tolerance for a loaded machine.
      expect(tookMs).toBeGreaterThanOrEqual(950);
      expect(tookMs).toBeLessThan(8000);
    });

    it("a container's own stop signal is what Stop sends; Stop's signal overrides it", async () => {
      const cid = id("usr1");
      await client.create(cid, { process: { args: READY_LOOP }, stopSignal: "USR1" });
      expect((await client.state(cid)).stopSignal).toBe("SIGUSR1");
      await ready(cid);
      expect((await client.stop(cid)).exitStatus?.exitCode).toBe(10);
      await client.start(cid);
      await ready(cid, 2);
      expect((await client.stop(cid, { signal: "TERM" })).exitStatus?.exitCode).toBe(42);
      expect(await codeOf(client.create(id("badsig"), { process: { args: ["true"] }, stopSignal: "SIGNOPE" }))).toBe("invalid_argument");
      // Held to Signal's form: a space makes it no signal.
      expect(await codeOf(client.create(id("badsig"), { process: { args: ["true"] }, stopSignal: "9 " }))).toBe("invalid_argument");
    });

    it("a file written before a stop is there after the next start: the writable layer survives", async () => {
      const cid = id("layer");
      await client.create(cid, { process: { args: READY_LOOP } });
      await ready(cid);
      expect((await run(cid, ["sh", "-c", "echo kept > /kept.txt"])).exitCode).toBe(0);
      await client.stop(cid);
      const started = await client.start(cid);
      expect(started.status).toBe(Status.RUNNING);
      await ready(cid, 2);
      expect((await run(cid, ["cat", "/kept.txt"])).out).toEqual(["kept"]);
      expect(eventsOf(cid).filter((e) => e === "start-container")).toHaveLength(2);
    });

    it("Restart stops and starts again: events exit then restart, a new pid, still running", async () => {
      const cid = id("restart");
      const first = await client.create(cid, { process: { args: READY_LOOP } });
      await ready(cid);
      const { container, killed } = await client.restart(cid, { timeoutSeconds: 5 });
      expect(killed).toBe(false);
      expect(container.status).toBe(Status.RUNNING);
      expect(container.pid).not.toBe(first.pid);
      await waitEvents(cid, 4);
      expect(eventsOf(cid)).toEqual(["create", "start-container", "exit", "restart"]);
      await ready(cid, 2);
    });

    it("Start of a RESTARTING container starts it now and cancels the pending restart", async () => {
      const cid = id("restarting");
      // Fails until /ok exists, so the policy keeps restarting it with a
      // growing back-off. Its Start must come inside the back-off seen: a
      // second at least (the 1.6 s one, or the 3.2 s one), as what runs
      // between (a file written, State, Start's own checks) can take
      // hundreds of ms on a loaded host, and a Start after the policy's
      // restart would find it running.
      await client.create(cid, { process: { args: ["sh", "-c", "[ -e /ok ] && exec sleep 1000; exit 3"] }, restartPolicy: { kind: RestartPolicy_Kind.ALWAYS } });
      await until(
        async () => {
          const st = await client.state(cid);
          return st.status === Status.RESTARTING && st.nextRestartAt !== undefined && Number(st.nextRestartAt.seconds) * 1000 - Date.now() > 1000;
        },
        "a restart pending for a while",
        20_000,
      );
      writeFileSync(join(s.daemon.stateDir, "containers", client.namespace, cid, "bundle", "rootfs", "ok"), "");
      const before = await client.state(cid);
      const started = await client.start(cid);
      expect(started.status).toBe(Status.RUNNING);
      expect(started.nextRestartAt).toBeUndefined();
      // A user's start, not the policy's: the count stays.
      expect(started.restartCount).toBe(before.restartCount);
      await until(() => eventsOf(cid).at(-1) === "start-container", "the start-container event", 10_000);
      expect((await client.state(cid)).status).toBe(Status.RUNNING);
    });

    it("the revision increases with each change of run state and configuration", async () => {
      const cid = id("rev");
      const created = await client.create(cid, { process: { args: READY_LOOP } });
      // create and start-container.
      expect(created.revision).toBe(2n);
      await ready(cid);
      await client.pause(cid);
      expect((await client.state(cid)).revision).toBe(3n);
      await client.resume(cid);
      await client.updateResources(cid, { pidsLimit: 100n });
      expect((await client.state(cid)).revision).toBe(5n);
      await client.update(cid, { labels: { a: "b" } });
      expect((await client.state(cid)).revision).toBe(6n);
    });

    it("every call that changes a container fails with ABORTED on a stale revision, naming the current one, and changes nothing", async () => {
      const cid = id("stale");
      await client.create(cid, { process: { args: READY_LOOP, terminal: true } });
      await ready(cid);
      const before = await client.state(cid);
      const stale = { expectedRevision: before.revision - 1n };
      const calls: Array<[string, () => Promise<unknown>]> = [
        ["Signal", () => client.signal(cid, "TERM", stale)],
        ["SignalProcess", () => client.signalProcess(cid, "init", "TERM", stale)],
        ["AddProcess", () => client.addProcess(cid, "p", { args: ["true"] }, stale)],
        ["Resize", () => client.resize(cid, "init", 100, 40, stale)],
        ["CloseStdin", () => client.closeStdin(cid, "init", stale)],
        ["Pause", () => client.pause(cid, stale)],
        ["Resume", () => client.resume(cid, stale)],
        ["UpdateResources", () => client.updateResources(cid, { pidsLimit: 50n }, stale)],
        ["Delete", () => client.delete(cid, { force: true, ...stale })],
        ["Start", () => client.start(cid, stale)],
        ["Stop", () => client.stop(cid, stale)],
        ["Restart", () => client.restart(cid, stale)],
        ["Update", () => client.update(cid, { labels: { x: "y" }, ...stale })],
      ];
      for (const [what, call] of calls) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect([what, err instanceof BerthError && err.code]).toEqual([what, "aborted"]);
        expect((err as Error).message).toContain(`at revision ${before.revision}, not ${before.revision - 1n}`);
      }
      const after = await client.state(cid);
      expect([after.status, after.pid, after.revision, after.labels, after.processes.length]).toEqual([Status.RUNNING, before.pid, before.revision, before.labels, 1]);
      // With the current revision the same call goes through.
      await client.update(cid, { labels: { x: "y" }, expectedRevision: before.revision });
      expect((await client.state(cid)).labels).toEqual({ x: "y" });
    });

    it("two clients racing an update from the same revision: exactly one wins, the other gets ABORTED", async () => {
      const cid = id("race");
      await client.create(cid, { process: { args: READY_LOOP } });
      const other = await s.client(undefined, client.namespace);
      try {
        for (let round = 0; round < 5; round++) {
          const { revision } = await client.state(cid);
          const results = await Promise.allSettled([
            client.update(cid, { labels: { winner: "a" }, expectedRevision: revision }),
            other.update(cid, { labels: { winner: "b" }, expectedRevision: revision }),
          ]);
          const won = results.filter((r) => r.status === "fulfilled");
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
          expect(won).toHaveLength(1);
          expect(lost.map((r) => (r.reason as BerthError).code)).toEqual(["aborted"]);
          const state = await client.state(cid);
          expect(state.revision).toBe(revision + 1n);
          expect(state.labels["winner"]).toBe(results[0]!.status === "fulfilled" ? "a" : "b");
        }
      } finally {
        await other.close();
      }
    });

    it("Update changes labels, restart policy, stop signal and the next start's process in one step, then the run state", async () => {
      const cid = id("update");
      await client.create(cid, { process: { args: READY_LOOP }, labels: { old: "1" } });
      await ready(cid);
      const updated = await client.update(cid, {
        labels: { new: "2" },
        restartPolicy: { kind: RestartPolicy_Kind.UNLESS_STOPPED },
        stopSignal: "USR1",
        process: { args: ["sh", "-c", "trap 'exit 7' TERM; echo second; while true; do sleep 0.1; done"] },
        runState: Status.STOPPED,
      });
      expect([updated.status, updated.exitCode, updated.labels, updated.stopSignal, updated.restartPolicy?.kind]).toEqual([
        Status.STOPPED,
        10,
        { new: "2" },
        "SIGUSR1",
        RestartPolicy_Kind.UNLESS_STOPPED,
      ]);
      // A stop is a user's stop: unless-stopped leaves it stopped.
      expect((await client.state(cid)).status).toBe(Status.STOPPED);
      const running = await client.update(cid, { runState: Status.RUNNING });
      expect(running.status).toBe(Status.RUNNING);
      await until(async () => (await logged(cid)).includes("second"), "the new process to run", 10_000);
      expect((await client.inspect(cid)).config.process?.args).toEqual(["sh", "-c", "trap 'exit 7' TERM; echo second; while true; do sleep 0.1; done"]);
      expect((await client.update(cid, { runState: Status.PAUSED })).status).toBe(Status.PAUSED);
      expect((await client.update(cid, { runState: Status.RUNNING })).status).toBe(Status.RUNNING);
      // An empty stop signal is SIGTERM again, as at Create.
      expect((await client.update(cid, { stopSignal: "" })).stopSignal).toBe("SIGTERM");
    });

    it("an Update of the next start's process leaves the run under way with its own terminal and stdin", async () => {
      const cid = id("nextproc");
      await client.create(cid, { process: { args: READY_LOOP, terminal: true } });
      await client.update(cid, { process: { args: READY_LOOP, stdin: true } });
      const running = (await client.state(cid)).processes[0]!;
      expect([running.terminal, running.stdin]).toEqual([true, false]);
      // Its terminal still answers.
      await client.resize(cid, "init", 100, 30);
      expect([(await client.inspect(cid)).config.process?.terminal, (await client.inspect(cid)).config.process?.stdin]).toEqual([false, true]);
      await client.restart(cid, { timeoutSeconds: 5 });
      const next = (await client.state(cid)).processes[0]!;
      expect([next.terminal, next.stdin]).toEqual([false, true]);
    });

    it("an Update with any invalid part changes nothing", async () => {
      const cid = id("atomic");
      await client.create(cid, { process: { args: READY_LOOP }, labels: { keep: "me" } });
      const before = await client.state(cid);
      for (const bad of [
        { labels: { ok: "1" }, stopSignal: "NOPE" },
        { labels: { ok: "1" }, runState: Status.RESTARTING },
        { labels: { ok: "1" }, resources: { cpuShares: 1n << 62n } },
        { labels: { ok: "1" }, process: { args: [] } },
      ]) {
        const what = JSON.stringify(bad, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v));
        expect([what, await codeOf(client.update(cid, bad))]).toEqual([what, "invalid_argument"]);
      }
      // A run state the container cannot reach is refused before any change.
      await client.stop(cid, { timeoutSeconds: 5 });
      const stopped = await client.state(cid);
      expect(await codeOf(client.update(cid, { labels: { ok: "1" }, runState: Status.PAUSED }))).toBe("failed_precondition");
      const after = await client.state(cid);
      expect([after.labels, after.revision]).toEqual([before.labels, stopped.revision]);
    });

    it("Inspect returns what the container was made with, and the writable layer's size when asked", async () => {
      const cid = id("inspect");
      await client.create(cid, {
        process: { args: READY_LOOP, env: ["A=1"], cwd: "/tmp" },
        labels: { role: "test" },
        hostname: "inspected",
        mounts: [{ source: "/etc", destination: "/host-etc", readOnly: true }],
        restartPolicy: { kind: RestartPolicy_Kind.ON_FAILURE, maxRetries: 3 },
        resources: { memoryLimitBytes: 64n << 20n, pidsLimit: 64n },
        stopSignal: "INT",
      });
      await ready(cid);
      const plain = await client.inspect(cid);
      expect(plain.sizeRwBytes).toBeUndefined();
      const c = plain.config;
      expect(c.process?.args).toEqual(READY_LOOP);
      expect(c.process?.env).toContain("A=1");
      expect(c.process?.cwd).toBe("/tmp");
      expect([c.hostname, c.labels, c.stopSignal, c.restartPolicy?.kind, c.restartPolicy?.maxRetries]).toEqual(["inspected", { role: "test" }, "SIGINT", RestartPolicy_Kind.ON_FAILURE, 3]);
      expect(c.mounts.map((m) => [m.source, m.destination, m.readOnly])).toEqual([["/etc", "/host-etc", true]]);
      expect([c.resources?.memoryLimitBytes, c.resources?.pidsLimit]).toEqual([64n << 20n, 64n]);
      const spec = JSON.parse(new TextDecoder().decode(c.ociSpecJson)) as { hostname: string; root: { path: string } };
      expect(spec.hostname).toBe("inspected");
      expect(spec.root.path).toMatch(/rootfs$/);
      expect(plain.container.id).toBe(cid);

      expect((await run(cid, ["sh", "-c", "dd if=/dev/zero of=/big bs=1024 count=200 2>/dev/null"])).exitCode).toBe(0);
      const sized = await client.inspect(cid, { size: true });
      expect(sized.sizeRwBytes).toBeGreaterThanOrEqual(200n * 1024n);
      expect(sized.sizeRwBytes).toBeLessThan(400n * 1024n);
    });

    it("Stop's and Start's bad input is INVALID_ARGUMENT or NOT_FOUND, before anything runs", async () => {
      const cid = id("badstop");
      await client.create(cid, { process: { args: READY_LOOP } });
      expect(await codeOf(client.stop(cid, { timeoutSeconds: 3601 }))).toBe("invalid_argument");
      expect(await codeOf(client.stop(cid, { signal: "NOPE" }))).toBe("invalid_argument");
      expect(await codeOf(client.start(s.daemon.id("missing")))).toBe("not_found");
      expect((await client.state(cid)).status).toBe(Status.RUNNING);
    });
  });
}
