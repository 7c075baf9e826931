// The Client contract: one set of scenarios, run against real runc
// containers through the in-process LocalClient and through the GrpcClient
// over the daemon's socket. Both must behave the same, codes and all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Backend, StateInfo } from "../../src/backend/backend.js";
import type { Client } from "../../src/client/client.js";
import { EventType, Status, WaitCondition } from "../../src/client/types.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { trapsTerm } from "../fixtures/traps-term.js";
import { repeatUntil, until } from "../fixtures/until.js";
import { ioContract } from "./io-contract.js";
import type { TestDaemon } from "../helpers/test-daemon.js";

export interface ContractSetup {
  daemon: TestDaemon;
  client(backend?: Backend, namespace?: string): Promise<Client>;
}

const SLEEP = ["sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done"];

export function clientContract(name: string, setup: () => Promise<ContractSetup>, teardown: () => Promise<void>): void {
  describe(`Client contract: ${name}`, () => {
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

    beforeAll(async () => {
      s = await setup();
      client = await s.client({ stateChanged: (cid, state) => void events.push({ id: cid, state }) });
    });

    afterAll(async () => {
      for (const cid of made) await client.delete(cid, { force: true }).catch(() => {});
      await client.close();
      await teardown();
    });

    it("runs a container to its exit code and reports create, start-container and exit in order", async () => {
      const cid = id("exit3");
      const c = await client.create(cid, { process: { args: ["sh", "-c", "echo out; echo err >&2; exit 3"] } });
      expect(c.id).toBe(cid);
      expect(c.pid).toBeGreaterThan(0);
      const exit = await client.wait(cid);
      expect(exit.exitCode).toBe(3);
      await until(() => eventsOf(cid).length >= 3, "exit event");
      expect(eventsOf(cid)).toEqual(["create:init:0", "start-container:init:0", "exit:init:3"]);
      const state = await client.state(cid);
      expect(state.status).toBe(Status.STOPPED);
      expect(state.exitCode).toBe(3);
      const lines: string[] = [];
      for await (const l of client.logs(cid)) lines.push(`${l.stream}:${Buffer.from(l.line).toString()}`);
      expect(lines).toEqual(["1:out", "2:err"]);
      const removed = await client.delete(cid);
      expect(removed.exitCode).toBe(3);
      made.delete(cid);
      expect(await codeOf(client.state(cid))).toBe("not_found");
      expect(await codeOf(client.delete(cid))).toBe("not_found");
    });

    it("execs a process with its own env and cwd and returns its exit code", async () => {
      const cid = id("exec");
      await client.create(cid, { process: { args: SLEEP } });
      const p = await client.addProcess(cid, "e1", { args: ["sh", "-c", 'echo "$GREETING $(pwd)"; exit 7'], env: ["GREETING=hello"], cwd: "/tmp" });
      expect(p.id).toBe("e1");
      expect(p.pid).toBeGreaterThan(0);
      const exit = await client.wait(cid, { processId: "e1" });
      expect(exit.exitCode).toBe(7);
      const lines: string[] = [];
      for await (const l of client.logs(cid, { processId: "e1" })) lines.push(Buffer.from(l.line).toString());
      expect(lines).toEqual(["hello /tmp"]);
      await until(() => eventsOf(cid).includes("exit-process:e1:7"), "exit-process event");
      expect(eventsOf(cid)).toContain("start-process:e1:0");
      const state = await client.state(cid);
      expect(state.processes.map((x) => [x.id, x.status, x.exitCode])).toEqual([
        ["init", Status.RUNNING, undefined],
        ["e1", Status.STOPPED, 7],
      ]);
      // An ended exec's id may be used again.
      await client.addProcess(cid, "e1", { args: ["true"] });
      expect((await client.wait(cid, { processId: "e1" })).exitCode).toBe(0);
    });

    it("reads stats from the cgroup and applies UpdateResources live", async () => {
      const cid = id("stats");
      await client.create(cid, { process: { args: SLEEP }, resources: { memoryLimitBytes: 64n << 20n, pidsLimit: 32n } });
      const st = await client.stats(cid);
      expect(st.memory?.limitBytes).toBe(64n << 20n);
      expect(st.memory?.usageBytes).toBeGreaterThan(0n);
      expect(st.pids?.limit).toBe(32n);
      expect(st.pids?.current).toBeGreaterThanOrEqual(1n);
      expect(st.cpu?.usageNs).toBeGreaterThan(0n);
      await client.updateResources(cid, { memoryLimitBytes: 96n << 20n, pidsLimit: 40n });
      const after = await client.stats(cid);
      expect(after.memory?.limitBytes).toBe(96n << 20n);
      expect(after.pids?.limit).toBe(40n);
      expect(await codeOf(client.updateResources(cid, {}))).toBe("invalid_argument");
    });

    it("lists pids and summarizes the processes inside, naming berth's own", async () => {
      const cid = id("top");
      const c = await client.create(cid, { process: { args: SLEEP } });
      const p = await client.addProcess(cid, "sleeper", { args: ["sleep", "30"] });
      const pids = await client.getPidsForContainer(cid);
      expect(pids).toContain(c.pid);
      expect(pids).toContain(p.pid);
      // AddProcess answers once the process exists in the container, as
      // containerd's exec does: `runc exec --detach` returns (pid file
      // written) when runc init has set the process up, a moment before it
      // exec's the program, so the summary may still show "runc init" at
      // first. Poll for the program.
      let summary = await client.summary(cid);
      await until(async () => {
        summary = await client.summary(cid);
        return summary.find((x) => x.pid === p.pid)?.command === "sleep 30";
      }, () => `the exec'd process to run "sleep 30" (last seen: ${JSON.stringify(summary.find((x) => x.pid === p.pid))})`);
      expect(summary.find((x) => x.pid === c.pid)?.processId).toBe("init");
      expect(summary.find((x) => x.pid === p.pid)).toMatchObject({ processId: "sleeper", command: "sleep 30" });
      await client.signalProcess(cid, "sleeper", "KILL");
      expect((await client.wait(cid, { processId: "sleeper" })).exitCode).toBe(137);
    });

    it("pauses and resumes, refusing the wrong state with FAILED_PRECONDITION", async () => {
      const cid = id("pause");
      await client.create(cid, { process: { args: SLEEP } });
      await client.pause(cid);
      expect((await client.state(cid)).status).toBe(Status.PAUSED);
      expect(await messageOf(client.pause(cid))).toMatch(/cannot pause a paused container/);
      expect(await codeOf(client.addProcess(cid, "x", { args: ["true"] }))).toBe("failed_precondition");
      await client.resume(cid);
      expect((await client.state(cid)).status).toBe(Status.RUNNING);
      expect(await codeOf(client.resume(cid))).toBe("failed_precondition");
      await until(() => eventsOf(cid).includes("resume:init:0"), "resume event");
      expect(eventsOf(cid).filter((e) => /pause|resume/.test(e))).toEqual(["pause:init:0", "resume:init:0"]);
    });

    it("signals the init process and reports the exit; a stopped container refuses", async () => {
      const cid = id("signal");
      const c = await client.create(cid, { process: { args: SLEEP } });
      await until(() => trapsTerm(c.pid), "the shell to trap SIGTERM");
      await client.signal(cid, "SIGTERM");
      expect((await client.wait(cid)).exitCode).toBe(42);
      expect(await messageOf(client.signal(cid, 9))).toMatch(/cannot signal a stopped container/);
      expect(await codeOf(client.pause(cid))).toBe("failed_precondition");
      expect(await codeOf(client.stats(cid))).toBe("failed_precondition");
      expect(await codeOf(client.addProcess(cid, "late", { args: ["true"] }))).toBe("failed_precondition");
    });

    it("deletes a running container only with force, and wakes REMOVED waiters", async () => {
      const cid = id("force");
      await client.create(cid, { process: { args: SLEEP } });
      expect(await messageOf(client.delete(cid))).toMatch(/cannot delete a running container/);
      const removed = client.wait(cid, { condition: WaitCondition.REMOVED });
      const exit = await client.delete(cid, { force: true });
      made.delete(cid);
      expect(exit.exitCode).toBe(137);
      expect((await removed).exitCode).toBe(137);
      await until(() => eventsOf(cid).includes("delete:init:137"), "delete event");
    });

    it("filters List by status and label", async () => {
      const a = id("list-a");
      const b = id("list-b");
      await client.create(a, { process: { args: SLEEP }, labels: { team: "red", suite: "contract" } });
      await client.create(b, { process: { args: ["true"] }, labels: { team: "blue", suite: "contract" } });
      await client.wait(b);
      const red = await client.list({ labels: { team: "red" } });
      expect(red.map((c) => c.id)).toEqual([a]);
      const running = (await client.list({ statuses: [Status.RUNNING], labels: { suite: "contract" } })).map((c) => c.id);
      expect(running).toEqual([a]);
      const stopped = (await client.list({ statuses: [Status.STOPPED], labels: { suite: "contract" } })).map((c) => c.id);
      expect(stopped).toEqual([b]);
    });

    it("keeps namespaces apart", async () => {
      const cid = id("ns");
      await client.create(cid, { process: { args: ["true"] } });
      const other = await s.client(undefined, "contract-other");
      try {
        expect(await codeOf(other.state(cid))).toBe("not_found");
        expect((await other.list()).map((c) => c.id)).not.toContain(cid);
      } finally {
        await other.close();
      }
    });

    it("reports an OOM kill as oom then exit", async () => {
      const cid = id("oom");
      await client.create(cid, {
        process: { args: ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=128M count=1"] },
        resources: { memoryLimitBytes: 16n << 20n, memorySwapLimitBytes: 16n << 20n },
      });
      const exit = await client.wait(cid);
      expect(exit.oomKilled).toBe(true);
      expect(exit.exitCode).toBe(137);
      await until(() => eventsOf(cid).includes("exit:init:137"), "exit event");
      const tail = eventsOf(cid).slice(-2);
      expect(tail).toEqual(["oom:init:0", "exit:init:137"]);
      expect((await client.state(cid)).oomKilled).toBe(true);
    });

    it("subscribes with filters and replays from a sequence", async () => {
      const cid = id("sub");
      const probe = id("sub-probe");
      await client.create(probe, { process: { args: SLEEP } });
      const controller = new AbortController();
      const seen: string[] = [];
      const probed: EventType[] = [];
      let firstSeq: bigint | undefined;
      const done = (async () => {
        const types = [EventType.START_CONTAINER, EventType.EXIT, EventType.PAUSE];
        for await (const e of client.subscribe({ containerIds: [cid, probe], types, signal: controller.signal })) {
          if (e.containerId === probe) {
            probed.push(e.type);
            continue;
          }
          firstSeq ??= e.sequence;
          seen.push(`${e.type}:${e.exitCode}`);
          if (e.type === EventType.EXIT) break;
        }
      })();
      // The stream is live once an event made after it started arrives:
      // pause and resume the probe until its pause comes through.
      await repeatUntil(
        async () => {
          await client.pause(probe);
          await client.resume(probe);
        },
        () => probed.includes(EventType.PAUSE),
        "the subscription to deliver the probe's pause",
      );
      await client.create(cid, { process: { args: ["sh", "-c", "exit 5"] } });
      await done;
      controller.abort();
      expect(seen).toEqual([`${EventType.START_CONTAINER}:0`, `${EventType.EXIT}:5`]);
      // The type filter held: the probe's resumes never came.
      expect(probed.every((t) => t === EventType.PAUSE)).toBe(true);
      await client.delete(probe, { force: true });
      made.delete(probe);
      const replay: bigint[] = [];
      for await (const e of client.subscribe({ containerIds: [cid], sinceSequence: firstSeq! - 1n, until: new Date(Date.now() + 50) })) replay.push(e.sequence);
      expect(replay[0]).toBe(firstSeq);
      expect(replay.length).toBeGreaterThanOrEqual(2);
    });

    it("restores a known container, reconciling with the runtime", async () => {
      const cid = id("restore");
      await client.create(cid, { process: { args: SLEEP } });
      const c = await client.restore(cid);
      expect(c.status).toBe(Status.RUNNING);
      expect(await codeOf(client.restore(s.daemon.id("never-made")))).toBe("not_found");
    });

    it("rejects bad input with INVALID_ARGUMENT, duplicates with ALREADY_EXISTS, unknowns with NOT_FOUND", async () => {
      const cid = id("errors");
      await client.create(cid, { process: { args: SLEEP } });
      expect(await codeOf(client.create(cid, { process: { args: ["true"] } }))).toBe("already_exists");
      expect(await codeOf(client.create("../escape", { process: { args: ["true"] } }))).toBe("invalid_argument");
      expect(await codeOf(client.create(id("noargs"), { process: { args: [] } }))).toBe("invalid_argument");
      expect(await messageOf(client.signal(cid, "SIGNOPE"))).toMatch(/unknown signal/);
      expect(await codeOf(client.addProcess(cid, "bad/id", { args: ["true"] }))).toBe("invalid_argument");
      expect(await codeOf(client.addProcess(cid, "missing", { args: ["/no/such/binary"] }))).toBe("invalid_argument");
      expect(await codeOf(client.pause(s.daemon.id("ghost")))).toBe("not_found");
      expect(await codeOf(client.signalProcess(cid, "ghost", 9))).toBe("not_found");
      expect(await codeOf(client.resize(cid, "init", 80, 24))).toBe("failed_precondition");
      expect(await codeOf(client.create(id("rootfs"), { process: { args: ["true"] }, rootfs: { source: { case: "path", value: "/no/such/rootfs" } } }))).toBe("not_found");
    });

    ioContract(() => ({ client, id, clientWith: (backend) => s.client(backend) }));
  });
}
