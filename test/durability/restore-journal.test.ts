// Restore's bookkeeping without containers: replaying the journal onto a
// stale record, telling processes apart by start time, and the state
// directory's lock.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EventSchema, EventType } from "../../src/client/types.js";
import type { ContainerRecord } from "../../src/engine/container-record.js";
import { decodeWaitStatus, identify, probe } from "../../src/engine/process-identity.js";
import { applyJournal, unansweredCreate } from "../../src/engine/restore-journal.js";
import { lockStateDir } from "../../src/engine/state-lock.js";

let seq = 10n;
const event = (type: EventType, fields: { processId?: string; pid?: number; exitCode?: number; oomKilled?: boolean; monitorDied?: boolean } = {}) =>
  create(EventSchema, { sequence: ++seq, namespace: "n", containerId: "c", processId: "init", type, timestamp: timestampFromMs(1_700_000_000_000 + Number(seq)), ...fields });

function creatingRecord(): ContainerRecord {
  return {
    version: 1,
    id: "c",
    namespace: "n",
    createdAt: new Date(0).toISOString(),
    labels: {},
    rootfsMounted: true,
    init: { id: "init", args: ["sh"], terminal: false, pid: 0 },
    execs: [],
    sequence: "10",
    phase: "creating",
    restart: { policy: { name: "always", maxRetries: 0 }, count: 1, backoffMs: 100, manuallyStopped: false, pendingAt: 5 },
  };
}

describe("applyJournal", () => {
  it("brings a record saved while creating up to what was published after it", async () => {
    const record = creatingRecord();
    const origin = async (id: string) => (id === "p" ? { args: ["top"], terminal: true } : undefined);
    const facts = await applyJournal(
      record,
      [
        event(EventType.CREATE, { pid: 42 }),
        event(EventType.START_CONTAINER, { pid: 42 }),
        event(EventType.START_PROCESS, { processId: "p", pid: 43 }),
        event(EventType.EXIT_PROCESS, { processId: "p", pid: 43, exitCode: 5 }),
        event(EventType.EXIT, { pid: 42, exitCode: 3 }),
        event(EventType.RESTART, { pid: 44 }),
        event(EventType.EXIT, { pid: 44, exitCode: 255, monitorDied: true }),
      ],
      origin,
    );
    expect(facts).toEqual({ created: true, deleted: false });
    expect(record.phase).toBeUndefined();
    expect(record.sequence).toBe(String(seq));
    expect(record.init).toMatchObject({ pid: 44, exit: { exitCode: 255, monitorDied: true } });
    expect(record.restart?.pendingAt).toBeUndefined();
    expect(record.execs).toEqual([expect.objectContaining({ id: "p", args: ["top"], terminal: true, pid: 43, exit: expect.objectContaining({ exitCode: 5 }) })]);
  });

  it("says when a delete was published, and when only a create was", async () => {
    expect(await applyJournal(creatingRecord(), [event(EventType.CREATE, { pid: 1 })], async () => undefined)).toEqual({ created: true, deleted: false });
    expect(await applyJournal(creatingRecord(), [event(EventType.DELETE)], async () => undefined)).toEqual({ created: false, deleted: true });
    const untouched = creatingRecord();
    expect(await applyJournal(untouched, [], async () => undefined)).toEqual({ created: false, deleted: false });
    expect(untouched).toEqual(creatingRecord());
  });
});

describe("unansweredCreate", () => {
  // For a container whose record is lost: its delete carries the last
  // exit whole, as the proto documents DELETE.
  it("owes the newest unanswered create a delete with the last exit's code, oomKilled and monitorDied", async () => {
    expect(await unansweredCreate([event(EventType.CREATE), event(EventType.EXIT, { exitCode: 255, monitorDied: true })])).toEqual({ exitCode: 255, oomKilled: false, monitorDied: true });
    expect(await unansweredCreate([event(EventType.CREATE), event(EventType.OOM), event(EventType.EXIT, { exitCode: 137, oomKilled: true })])).toEqual({ exitCode: 137, oomKilled: true, monitorDied: false });
    expect(await unansweredCreate([event(EventType.CREATE)])).toEqual({ exitCode: 0, oomKilled: false, monitorDied: false });
  });

  it("owes nothing when every create is answered, or none was published", async () => {
    expect(await unansweredCreate([event(EventType.CREATE), event(EventType.EXIT, { exitCode: 1 }), event(EventType.DELETE, { exitCode: 1 })])).toBeUndefined();
    expect(await unansweredCreate([event(EventType.EXIT, { exitCode: 1 })])).toBeUndefined();
    expect(await unansweredCreate([])).toBeUndefined();
  });
});

describe("process identity", () => {
  it("decodes wait statuses as a shell does", () => {
    expect(decodeWaitStatus(3 << 8)).toBe(3);
    expect(decodeWaitStatus(9)).toBe(137);
    expect(decodeWaitStatus(15)).toBe(143);
    expect(decodeWaitStatus(undefined)).toBeUndefined();
  });

  it("tells a live process from one that is gone, and from a reused pid", async () => {
    const child = spawn("sleep", ["30"]);
    const id = (await identify(child.pid!))!;
    expect(await probe(id)).toEqual({ state: "alive" });
    expect(await probe({ ...id, startTime: id.startTime + 1 })).toEqual({ state: "gone" });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect((await probe(id)).state).toBe("gone");
  });
});

describe("the state directory lock", () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), "berth-test-lock-"))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("admits one daemon, and takes over the lock of one that died", async () => {
    const first = await lockStateDir(dir, () => {});
    await expect(lockStateDir(dir, () => {})).rejects.toThrow(/another berth daemon \(pid \d+\) is using the state directory/);
    await first.release();
    // A lock naming a process that is gone is stale.
    await writeFile(join(dir, "daemon.lock"), "999999999 1\n");
    const second = await lockStateDir(dir, () => {});
    expect((await readFile(join(dir, "daemon.lock"), "utf8")).startsWith(`${process.pid} `)).toBe(true);
    await second.release();
    await second.release();
  });
});
