// The paused-container part of the Client contract: what every operation
// does to a PAUSED container (the rule is written on ContainerService in
// proto/berth/v1/containers.proto), against real runc through whichever
// Client the suite hands in. A frozen process cannot even die of SIGKILL
// until its cgroup is thawed (cgroup v1), so each rule is checked against
// the freezer itself as well as against State and the events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StateInfo } from "../../src/backend/backend.js";
import { findCgroupPaths } from "../../src/cgroup/cgroup-paths.js";
import { freezerState } from "../../src/cgroup/freezer.js";
import type { Client, CreateOptions } from "../../src/client/client.js";
import { RestartPolicy_Kind, Status, WaitCondition } from "../../src/client/types.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { until } from "../fixtures/until.js";
import type { ContractSetup } from "./client-contract.js";
import { Input, Session } from "./io-contract.js";

// LOOP traps TERM (exit 42) and USR1 (exit 10), so a test can tell which
// signal the container acted on, and when. Every process here says "ready"
// once its traps are set: one paused before that would meet a signal
// with no handler.
const LOOP = ["sh", "-c", "trap 'exit 42' TERM; trap 'exit 10' USR1; echo ready; while true; do sleep 0.1; done"];

export function pausedContract(name: string, setup: () => Promise<ContractSetup>, teardown: () => Promise<void>): void {
  describe(`Client contract, paused containers: ${name}`, { timeout: 30_000 }, () => {
    let s: ContractSetup;
    let client: Client;
    const events: Array<{ id: string; state: StateInfo }> = [];
    const made = new Set<string>();
    const id = (n: string) => {
      const v = s.daemon.id(n);
      made.add(v);
      return v;
    };
    const eventsOf = (cid: string) => events.filter((e) => e.id === cid).map((e) => `${e.state.state}:${e.state.processId}:${e.state.exitCode}`);
    // freezer reads the container's freezer straight from its cgroup.
    const freezer = async (cid: string) => freezerState(findCgroupPaths((await client.state(cid)).pid));

    // logged reads what a process has written so far.
    const logged = async (cid: string, processId = "init"): Promise<string[]> => {
      const lines: string[] = [];
      for await (const l of client.logs(cid, { processId })) lines.push(Buffer.from(l.line).toString().trim());
      return lines;
    };
    const ready = async (cid: string, processId = "init"): Promise<void> => {
      for (let deadline = Date.now() + 10_000; !(await logged(cid, processId)).includes("ready"); ) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${cid}/${processId} to be ready`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };

    // paused creates a container, waits for it to be ready, and pauses it.
    const paused = async (n: string, options: CreateOptions = {}): Promise<string> => {
      const cid = id(n);
      await client.create(cid, { process: { args: LOOP }, ...options });
      await ready(cid);
      await client.pause(cid);
      expect((await client.state(cid)).status).toBe(Status.PAUSED);
      expect(await freezer(cid)).toBe("frozen");
      return cid;
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

    it.each([
      ["Signal KILL", (c: Client, cid: string) => c.signal(cid, "KILL")],
      ["Signal KILL to all", (c: Client, cid: string) => c.signal(cid, "KILL", { all: true })],
      ['SignalProcess "init" KILL', (c: Client, cid: string) => c.signalProcess(cid, "init", "KILL")],
    ])("%s kills a paused container: Wait returns 137, events say resume then exactly one exit", async (_, kill) => {
      const cid = await paused("kill");
      const waiting = client.wait(cid);
      let settled = false;
      void waiting.finally(() => (settled = true)).catch(() => {});
      // Wait blocks while the container is paused, calls around it or not.
      await client.stats(cid);
      await client.state(cid);
      expect(settled).toBe(false);
      await kill(client, cid);
      expect((await waiting).exitCode).toBe(137);
      const state = await client.state(cid);
      expect([state.status, state.exitCode, state.pid]).toEqual([Status.STOPPED, 137, 0]);
      expect((await client.delete(cid)).exitCode).toBe(137);
      made.delete(cid);
      await until(() => eventsOf(cid).includes("delete:init:137"), "delete event");
      expect(eventsOf(cid)).toEqual(["create:init:0", "start-container:init:0", "pause:init:0", "resume:init:0", "exit:init:137", "delete:init:137"]);
    });

    it("a trapped stop signal (TERM) thaws a paused container to run its handler; a stop is not restarted", async () => {
      const cid = await paused("term", { restartPolicy: { kind: RestartPolicy_Kind.UNLESS_STOPPED } });
      await client.signal(cid, "TERM");
      expect((await client.wait(cid)).exitCode).toBe(42);
      const state = await client.state(cid);
      expect([state.status, state.restartCount]).toEqual([Status.STOPPED, 0]);
      await until(() => eventsOf(cid).includes("exit:init:42"), "exit event");
      expect(eventsOf(cid).slice(2)).toEqual(["pause:init:0", "resume:init:0", "exit:init:42"]);
    });

    it.each([false, true])("any other signal (USR1, all: %s) is held while paused: the container stays frozen and acts on it at Resume", async (all) => {
      const cid = await paused(all ? "usr1-all" : "usr1");
      await client.signal(cid, "USR1", { all });
      expect((await client.state(cid)).status).toBe(Status.PAUSED);
      expect(await freezer(cid)).toBe("frozen");
      expect(eventsOf(cid)).not.toContain("resume:init:0");
      await client.resume(cid);
      expect((await client.wait(cid)).exitCode).toBe(10);
      await until(() => eventsOf(cid).includes("exit:init:10"), "exit event");
      expect(eventsOf(cid).slice(2)).toEqual(["pause:init:0", "resume:init:0", "exit:init:10"]);
    });

    it("SignalProcess to an exec'd process of a paused container is held until Resume, even SIGKILL", async () => {
      const cid = id("exec-kill");
      await client.create(cid, { process: { args: LOOP } });
      await client.addProcess(cid, "e", { args: LOOP });
      await ready(cid, "e");
      await client.pause(cid);
      await client.signalProcess(cid, "e", "KILL");
      const state = await client.state(cid);
      expect(state.status).toBe(Status.PAUSED);
      expect(await freezer(cid)).toBe("frozen");
      await client.resume(cid);
      expect((await client.wait(cid, { processId: "e" })).exitCode).toBe(137);
      expect((await client.state(cid)).status).toBe(Status.RUNNING);
    });

    it("refuses AddProcess, Pause and Delete without force with FAILED_PRECONDITION naming the paused state", async () => {
      const cid = await paused("refuse");
      expect(await codeOf(client.addProcess(cid, "x", { args: ["true"] }))).toBe("failed_precondition");
      expect(await messageOf(client.addProcess(cid, "x", { args: ["true"] }))).toMatch(/cannot exec in a paused container/);
      expect(await messageOf(client.pause(cid))).toMatch(/cannot pause a paused container/);
      expect(await codeOf(client.delete(cid))).toBe("failed_precondition");
      expect(await messageOf(client.delete(cid))).toMatch(/cannot delete a paused container/);
      expect((await client.state(cid)).status).toBe(Status.PAUSED);
      expect(await freezer(cid)).toBe("frozen");
    });

    it("answers State, List, Stats, ListPids, Summary, Logs and Restore as for a running container, and stays paused", async () => {
      const cid = id("reads");
      const created = await client.create(cid, { process: { args: LOOP }, labels: { paused: cid } });
      await ready(cid);
      await client.pause(cid);
      const state = await client.state(cid);
      expect([state.status, state.pid]).toEqual([Status.PAUSED, created.pid]);
      expect(state.processes[0]?.status).toBe(Status.PAUSED);
      expect((await client.list({ statuses: [Status.PAUSED], labels: { paused: cid } })).map((c) => c.id)).toEqual([cid]);
      expect(await client.list({ statuses: [Status.RUNNING], labels: { paused: cid } })).toEqual([]);
      const stats = await client.stats(cid);
      expect(stats.memory?.usageBytes).toBeGreaterThan(0n);
      expect(stats.pids?.current).toBeGreaterThanOrEqual(1n);
      expect(await client.getPidsForContainer(cid)).toContain(created.pid);
      expect((await client.summary(cid)).find((p) => p.pid === created.pid)?.processId).toBe("init");
      expect(await logged(cid)).toEqual(["ready"]);
      expect((await client.restore(cid)).status).toBe(Status.PAUSED);
      expect((await client.state(cid)).status).toBe(Status.PAUSED);
      expect(await freezer(cid)).toBe("frozen");
    });

    it("applies UpdateResources to a paused container, which stays paused", async () => {
      const cid = await paused("update", { resources: { memoryLimitBytes: 64n << 20n, pidsLimit: 32n } });
      await client.updateResources(cid, { memoryLimitBytes: 96n << 20n, pidsLimit: 40n });
      const stats = await client.stats(cid);
      expect(stats.memory?.limitBytes).toBe(96n << 20n);
      expect(stats.pids?.limit).toBe(40n);
      expect((await client.state(cid)).status).toBe(Status.PAUSED);
      expect(await freezer(cid)).toBe("frozen");
    });

    it("takes Attach input, CloseStdin and Resize while paused; the process acts on them at Resume", async () => {
      const reader = await paused("attach", { process: { args: ["sh", "-c", 'echo ready; while read l; do echo "got $l"; done; echo eof'], stdin: true } });
      const input = new Input();
      const session = new Session(client.attach(reader, { input, logs: true }));
      input.send(Buffer.from("one\n"), { closeStdin: true });
      input.end();
      expect((await client.state(reader)).status).toBe(Status.PAUSED);
      await client.resume(reader);
      await session.done;
      expect(session.stdout).toBe("ready\ngot one\neof\n");
      expect(session.exitCode).toBe(0);

      const cat = await paused("cat", { process: { args: ["sh", "-c", "echo ready; exec cat"], stdin: true } });
      await client.closeStdin(cat, "init");
      expect((await client.state(cat)).status).toBe(Status.PAUSED);
      await client.resume(cat);
      expect((await client.wait(cat)).exitCode).toBe(0);

      const tty = await paused("resize", {
        process: { args: ["sh", "-c", "trap 'stty size; exit 3' WINCH; echo ready; while true; do sleep 0.1; done"], terminal: true, consoleSize: { width: 80, height: 24 } },
      });
      await client.resize(tty, "init", 90, 20);
      expect((await client.state(tty)).status).toBe(Status.PAUSED);
      await client.resume(tty);
      expect((await client.wait(tty)).exitCode).toBe(3);
      expect(await logged(tty)).toContain("20 90");
    });

    it("Delete with force kills a paused container and deletes it: exit 137, and events resume, exit, delete carrying 137", async () => {
      const cid = await paused("force");
      const removed = client.wait(cid, { condition: WaitCondition.REMOVED });
      const exit = await client.delete(cid, { force: true });
      made.delete(cid);
      expect(exit.exitCode).toBe(137);
      expect((await removed).exitCode).toBe(137);
      expect(await codeOf(client.state(cid))).toBe("not_found");
      await until(() => eventsOf(cid).includes("delete:init:137"), "delete event");
      expect(eventsOf(cid).slice(2)).toEqual(["pause:init:0", "resume:init:0", "exit:init:137", "delete:init:137"]);
    });
  });
}
