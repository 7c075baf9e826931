import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readRecord, RecordWriter, type ContainerRecord } from "../../src/engine/container-record.js";
import { SerialQueue } from "../../src/engine/serial-queue.js";

describe("RecordWriter", () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), "berth-test-record-"))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("coalesces overlapping saves and always ends with the newest content, atomically", async () => {
    const path = join(dir, "record.json");
    let pid = 0;
    const w = new RecordWriter(path, () => ({ version: 1, id: "c", namespace: "n", createdAt: "", labels: {}, rootfsMounted: false, init: { id: "init", args: [], terminal: false, pid }, execs: [] }) as ContainerRecord);
    const saves = [];
    for (pid = 1; pid <= 20; pid++) saves.push(w.save());
    pid = 20;
    await Promise.all(saves);
    await w.idle();
    expect((await readRecord(path))?.init.pid).toBe(20);
    expect((await readdir(dir)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("reads a missing record as undefined", async () => {
    expect(await readRecord(join(dir, "nope.json"))).toBeUndefined();
  });
});

describe("SerialQueue", () => {
  it("runs operations one at a time in call order, a failure not blocking the next", async () => {
    const q = new SerialQueue();
    const order: string[] = [];
    // The first operation holds the queue until the test lets it go.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = q.run(async () => {
      order.push("slow started");
      await gate;
      order.push("slow");
    });
    const failing = q.run(async () => {
      order.push("fail");
      throw new Error("boom");
    });
    const fast = q.run(async () => void order.push("fast"));
    // Every turn a queue that did not wait would need to start the others.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["slow started"]);
    release();
    await Promise.allSettled([slow, failing, fast]);
    await expect(failing).rejects.toThrow("boom");
    expect(order).toEqual(["slow started", "slow", "fail", "fast"]);
  });
});
