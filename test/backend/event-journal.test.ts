import { appendFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { join } from "node:path";
import { create, equals, fromJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it, vi } from "vitest";
import { EventSchema, EventType, type Event } from "../../src/gen/berth/v1/types_pb.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { EventJournal, type EventJournalOptions } from "../../src/backend/event-journal.js";
import { SegmentWriter } from "../../src/backend/segment-writer.js";
import { encodeEventLine } from "../../src/backend/event-codec.js";
import { range, sequencesOf, takeEvents } from "./take-events.js";
import { useTempDir } from "./temp-dir.js";

const quiet = { warn: vi.fn(), error: vi.fn() };

function eventAt(sequence: bigint, containerId = "c1"): Event {
  return create(EventSchema, {
    sequence,
    namespace: "default",
    containerId,
    processId: "init",
    type: EventType.START_CONTAINER,
    pid: 4242,
    timestamp: timestampFromMs(Date.now()),
  });
}

function appendMany(journal: EventJournal, count: number, containerId?: (i: number) => string): void {
  for (let i = 0; i < count; i++) journal.append(eventAt(journal.lastSequence() + 1n, containerId?.(i)));
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith(".jsonl")).sort();
}

describe("EventJournal", { timeout: 10_000 }, () => {
  const tempDir = useTempDir();
  const open = (options: EventJournalOptions = {}) => EventJournal.open(tempDir(), { logger: quiet, ...options });

  it("starts empty and reads back what was appended, in order", async () => {
    const journal = await open();
    expect(journal.lastSequence()).toBe(0n);
    expect(journal.oldestSequence()).toBe(1n);
    appendMany(journal, 5);
    expect(journal.lastSequence()).toBe(5n);
    expect(journal.oldestSequence()).toBe(1n);
    expect(sequencesOf(await takeEvents(journal.read(0n), Infinity))).toEqual(range(1, 5));
    expect(sequencesOf(await takeEvents(journal.read(3n), Infinity))).toEqual([4, 5]);
    await journal.close();
  });

  it("continues sequences after close and reopen, reading older events from disk", async () => {
    const first = await open({ segmentEvents: 4, tailEvents: 4 });
    appendMany(first, 10);
    await first.close();
    const second = await open({ segmentEvents: 4, tailEvents: 4 });
    expect(second.lastSequence()).toBe(10n);
    expect(second.oldestSequence()).toBe(1n);
    second.append(eventAt(11n));
    expect(() => second.append(eventAt(11n))).toThrow(/expected sequence 12/);
    expect(sequencesOf(await takeEvents(second.read(0n), Infinity))).toEqual(range(1, 11));
    await second.close();
  });

  // writeAndClose leaves a closed journal of count events, returning the
  // path of its only segment.
  async function writeAndClose(count: number): Promise<string> {
    const journal = await open();
    appendMany(journal, count);
    await journal.close();
    const [file] = await segmentFiles(tempDir());
    return join(tempDir(), file!);
  }

  it("ignores and cuts off a torn record at the end of the newest segment", async () => {
    const path = await writeAndClose(3);
    const intact = await readFile(path, "utf8");
    await appendFile(path, '{"sequence":"4","namespace":"def');
    const logger = { warn: vi.fn(), error: vi.fn() };
    const second = await open({ logger });
    expect(second.lastSequence()).toBe(3n);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/torn record/));
    expect(await readFile(path, "utf8")).toBe(intact);
    second.append(eventAt(4n));
    await second.close();
    const third = await open();
    expect(sequencesOf(await takeEvents(third.read(0n), Infinity))).toEqual(range(1, 4));
    await third.close();
  });

  it.each([
    ["malformed", "\0\0\0\0\n"],
    ["out-of-sequence", encodeEventLine(eventAt(7n))],
  ])("treats a %s last line as torn too", async (_, tail) => {
    await appendFile(await writeAndClose(2), tail);
    const reopened = await open();
    expect(reopened.lastSequence()).toBe(2n);
    await reopened.close();
  });

  it("drops the oldest segments once it holds more than maxEvents", async () => {
    const journal = await open({ segmentEvents: 10, maxEvents: 30, tailEvents: 5 });
    appendMany(journal, 95);
    await journal.flush();
    const files = await segmentFiles(tempDir());
    expect(files).toEqual(["00000000000000000071.jsonl", "00000000000000000081.jsonl", "00000000000000000091.jsonl"]);
    expect(journal.oldestSequence()).toBe(71n);
    expect(sequencesOf(await takeEvents(journal.read(70n), Infinity))).toEqual(range(71, 95));
    const tooOld = takeEvents(journal.read(10n), Infinity);
    await expect(tooOld).rejects.toThrow(BerthError);
    await expect(tooOld).rejects.toMatchObject({ code: "out_of_range", message: expect.stringContaining("oldest held sequence is 71") });
    await journal.close();
    const reopened = await open({ segmentEvents: 10, maxEvents: 10 });
    expect(reopened.oldestSequence()).toBe(91n);
    expect(await segmentFiles(tempDir())).toEqual(["00000000000000000091.jsonl"]);
    await reopened.close();
  });

  it("reads events that fell out of the ring before they reached the disk", async () => {
    const journal = await open({ segmentEvents: 50, tailEvents: 8, flushIntervalMs: 1000 });
    appendMany(journal, 200);
    expect(sequencesOf(await takeEvents(journal.read(0n), Infinity))).toEqual(range(1, 200));
    await journal.close();
  });

  it("applies a filter to replayed events", async () => {
    const journal = await open({ segmentEvents: 4, tailEvents: 4 });
    appendMany(journal, 12, (i) => (i % 3 === 0 ? "wanted" : "other"));
    const wanted = await takeEvents(journal.read(0n, (e) => e.containerId === "wanted"), Infinity);
    expect(sequencesOf(wanted)).toEqual([1, 4, 7, 10]);
    await journal.close();
  });

  it("batches writes: a burst of appends is one write, made after append returns", async () => {
    const write = vi.spyOn(SegmentWriter.prototype, "append");
    const journal = await open();
    appendMany(journal, 1000);
    expect(write).not.toHaveBeenCalled();
    await journal.flush();
    expect(write).toHaveBeenCalledTimes(1);
    const lines = (await readFile(join(tempDir(), (await segmentFiles(tempDir()))[0]!), "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(1000);
    await journal.close();
  });

  it("retries a failed write in place, without duplicating records", async () => {
    const journal = await open();
    appendMany(journal, 3);
    await journal.flush();
    vi.spyOn(SegmentWriter.prototype, "append").mockRejectedValueOnce(new Error("EIO: disk on fire"));
    appendMany(journal, 3);
    await expect(journal.flush()).rejects.toThrow(/disk on fire/);
    await journal.flush();
    await journal.close();
    const reopened = await open();
    expect(reopened.lastSequence()).toBe(6n);
    expect(sequencesOf(await takeEvents(reopened.read(0n), Infinity))).toEqual(range(1, 6));
    await reopened.close();
  });

  it("on a full disk: nothing counts as durable, the error says RESOURCE_EXHAUSTED and what to free, and a half-written batch is rewritten in place once there is room", async () => {
    // A real full disk: a tmpfs of its own, filled up by another file.
    const dir = join(tempDir(), "tiny");
    await mkdir(dir);
    await execa("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir]);
    try {
      const journal = await EventJournal.open(dir, { logger: quiet });
      const durable: bigint[] = [];
      journal.onWritten((sequence) => durable.push(sequence));
      appendMany(journal, 3);
      await journal.flush();
      const filler = join(dir, "filler");
      await writeFile(filler, Buffer.alloc(1024 * 1024)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOSPC") throw err;
      });
      // Large events, so the batch cannot fit the page or so left.
      for (let i = 0; i < 200; i++) journal.append(eventAt(journal.lastSequence() + 1n, `c${"x".repeat(200)}${i}`));
      const err = await journal.flush().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).code).toBe("resource_exhausted");
      expect((err as Error).message).toMatch(new RegExp(`cannot write the event journal in ${dir}: no space left on its disk; free space there`));
      expect(durable.at(-1)).toBe(3n);
      await rm(filler);
      await journal.flush();
      expect(durable.at(-1)).toBe(203n);
      await journal.close();
      const reopened = await EventJournal.open(dir, { logger: quiet });
      expect(sequencesOf(await takeEvents(reopened.read(0n), Infinity))).toEqual(range(1, 203));
      await reopened.close();
    } finally {
      // Lazily: a journal a failed test left open must not hide its failure.
      await execa("umount", ["-l", dir]);
    }
  });

  it("drops queued events of dropped segments while the disk is stalled", async () => {
    const journal = await open({ segmentEvents: 10, maxEvents: 30 });
    const real = SegmentWriter.prototype.append;
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    vi.spyOn(SegmentWriter.prototype, "append").mockImplementationOnce(async function (this: SegmentWriter, first, data) {
      await stalled;
      return real.call(this, first, data);
    });
    appendMany(journal, 5);
    const flushed = journal.flush();
    appendMany(journal, 95);
    expect(journal.oldestSequence()).toBe(71n);
    release();
    await flushed;
    await journal.flush();
    expect(await segmentFiles(tempDir())).toEqual(["00000000000000000071.jsonl", "00000000000000000081.jsonl", "00000000000000000091.jsonl"]);
    expect(sequencesOf(await takeEvents(journal.read(70n), Infinity))).toEqual(range(71, 100));
    await journal.close();
  });

  it("writes each record as proto3 JSON", async () => {
    const journal = await open();
    const event = create(EventSchema, {
      sequence: 1n,
      namespace: "ns \"quoted\"",
      containerId: "c1",
      processId: "exec-1",
      type: EventType.EXIT_PROCESS,
      pid: 7,
      exitCode: -1,
      oomKilled: true,
      timestamp: { seconds: 1_700_000_000n, nanos: 123_456_789 },
    });
    journal.append(event);
    await journal.close();
    const line = (await readFile(join(tempDir(), (await segmentFiles(tempDir()))[0]!), "utf8")).trimEnd();
    expect(equals(EventSchema, fromJsonString(EventSchema, line), event)).toBe(true);
    const reopened = await open();
    const [replayed] = await takeEvents(reopened.read(0n), 1);
    expect(equals(EventSchema, replayed!, event)).toBe(true);
    await reopened.close();
  });

  it("rejects settings it cannot honour", async () => {
    await expect(open({ segmentEvents: 0 })).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(open({ segmentEvents: 100, maxEvents: 10 })).rejects.toMatchObject({ code: "invalid_argument" });
  });
});
