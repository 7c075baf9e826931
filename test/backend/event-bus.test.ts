import { describe, expect, it, vi } from "vitest";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { EventType } from "../../src/gen/berth/v1/types_pb.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { EventBus, type PublishInput } from "../../src/backend/event-bus.js";
import type { EventJournalOptions } from "../../src/backend/event-journal.js";
import { range, sequencesOf, takeEvents, waitFor } from "./take-events.js";
import { useTempDir } from "./temp-dir.js";

const quiet = { warn: vi.fn(), error: vi.fn() };

function started(containerId = "c1", namespace = "default"): PublishInput {
  return { namespace, containerId, processId: "init", type: EventType.START_CONTAINER, pid: 100 };
}

function publishMany(bus: EventBus, count: number, input: (i: number) => PublishInput = () => started()): void {
  for (let i = 0; i < count; i++) bus.publish(input(i));
}

// nextMillisecond waits for the clock to move on, so that events published
// before and after it have different times, and returns the new time.
async function nextMillisecond(): Promise<Date> {
  const now = Date.now();
  await waitFor(() => Date.now() > now, 1000, "the clock to move");
  return new Date(Date.now());
}

describe("EventBus", { timeout: 20_000 }, () => {
  const tempDir = useTempDir();
  const open = (options: EventJournalOptions & { maxQueue?: number } = {}) => EventBus.open(tempDir(), { logger: quiet, ...options });

  it("numbers events one by one, stamps them, and keeps counting across restarts", async () => {
    const bus = await open();
    const events = [bus.publish(started()), bus.publish(started()), bus.publish({ ...started(), type: EventType.EXIT, exitCode: 3 })];
    expect(events.map((e) => e.sequence)).toEqual([1n, 2n, 3n]);
    expect(events[2]).toMatchObject({ exitCode: 3, pid: 100, oomKilled: false });
    expect(Math.abs(timestampMs(events[0]!.timestamp!) - Date.now())).toBeLessThan(5000);
    await bus.close();
    expect(() => bus.publish(started())).toThrow(/closed event bus/);
    const reopened = await open();
    expect(reopened.publish(started()).sequence).toBe(4n);
    await reopened.close();
  });

  it("refuses events no backend could name", async () => {
    const bus = await open();
    expect(() => bus.publish({ ...started(), type: EventType.UNSPECIFIED })).toThrow(BerthError);
    expect(() => bus.publish({ ...started(), containerId: "" })).toThrow(/container id/);
    await bus.close();
  });

  it("filters by namespace, container id and type", async () => {
    const bus = await open();
    const mine = bus.subscribe({ namespace: "a" });
    const all = bus.subscribe();
    const byId = bus.subscribe({ containerIds: ["x", "y"] });
    const exits = bus.subscribe({ types: [EventType.EXIT, EventType.OOM] });
    const everything = bus.subscribe({ containerIds: [], types: [] });
    bus.publish(started("x", "a"));
    bus.publish({ ...started("y", "b"), type: EventType.EXIT });
    bus.publish({ ...started("z", "a"), type: EventType.OOM });
    bus.publish(started("z", "b"));
    expect(sequencesOf(await takeEvents(mine, 2))).toEqual([1, 3]);
    expect(sequencesOf(await takeEvents(all, 4))).toEqual([1, 2, 3, 4]);
    expect(sequencesOf(await takeEvents(byId, 2))).toEqual([1, 2]);
    expect(sequencesOf(await takeEvents(exits, 2))).toEqual([2, 3]);
    expect(sequencesOf(await takeEvents(everything, 4))).toEqual([1, 2, 3, 4]);
    await bus.close();
  });

  it("replays then goes live with no gap and no duplicate while events keep coming", async () => {
    // A small queue makes replays outlast it, so they must re-read the journal.
    const bus = await open({ segmentEvents: 50, tailEvents: 32, maxQueue: 64 });
    publishMany(bus, 500);
    const total = 3000;
    const publisher = (async () => {
      // Bursts spaced out in time, so readers catch up and cross from
      // replay to live while events are still coming.
      while (bus.lastSequence() < total) {
        publishMany(bus, 10);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const readers: Promise<number[]>[] = [];
    for (const since of [0n, 123n, 499n]) {
      const stream = bus.subscribe({ sinceSequence: since });
      readers.push(takeEvents(stream, total - Number(since), 20_000).then(sequencesOf));
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Subscribing while the publisher runs puts the seam anywhere: in the
    // middle of a disk read, of a ring read, or right at the head.
    const late: { since: number; events: Promise<number[]> }[] = [];
    for (let back = 0; back <= 900; back += 100) {
      await waitFor(() => bus.lastSequence() > 600n + BigInt(back) * 2n, 10_000, "publishing to move on");
      const since = Number(bus.lastSequence()) - back;
      const stream = bus.subscribe({ sinceSequence: BigInt(since) });
      late.push({ since, events: takeEvents(stream, total - since, 20_000).then(sequencesOf) });
    }
    await publisher;
    const results = await Promise.all(readers);
    expect(results[0]).toEqual(range(1, total));
    expect(results[1]).toEqual(range(124, total));
    expect(results[2]).toEqual(range(500, total));
    for (const { since, events } of late) expect(await events).toEqual(range(since + 1, total));
    await bus.close();
  });

  it.each([
    { what: "hands over from replay to live with no gap and no duplicate when events arrive mid-replay", options: { segmentEvents: 10, tailEvents: 8 } },
    { what: "re-reads the journal, rather than cutting off, when the queue overflows during a replay", options: { maxQueue: 4 } },
  ])("$what", async ({ options }) => {
    const bus = await open(options);
    publishMany(bus, 30);
    const stream = bus.subscribe({ sinceSequence: 0n });
    const first = await takeEvents(stream, 5);
    // Queued live and also read by the replay, which is still going.
    publishMany(bus, 20);
    const rest = await takeEvents(stream, 45);
    // The replay ends here, on the reader's next call: that is the seam.
    const live = takeEvents(stream, 5);
    publishMany(bus, 5);
    expect(sequencesOf([...first, ...rest, ...(await live)])).toEqual(range(1, 55));
    await bus.close();
  });

  it("fails with OUT_OF_RANGE, naming the oldest held sequence, for a sequence too old or too new", async () => {
    const bus = await open({ segmentEvents: 10, maxEvents: 20 });
    publishMany(bus, 45);
    const oldest = bus.oldestSequence();
    expect(oldest).toBe(31n);
    const tooOld = (() => {
      try {
        bus.subscribe({ sinceSequence: 5n });
      } catch (err) {
        return err;
      }
    })();
    expect(tooOld).toBeInstanceOf(BerthError);
    expect(tooOld).toMatchObject({ code: "out_of_range", message: expect.stringContaining("oldest held sequence is 31") });
    expect(() => bus.subscribe({ sinceSequence: 46n })).toThrow(/last sequence is 45/);
    expect(sequencesOf(await takeEvents(bus.subscribe({ sinceSequence: oldest - 1n }), 15))).toEqual(range(31, 45));
    await bus.close();
  });

  it("cuts off a subscriber that falls behind, with the sequence to resume from, while others keep receiving", async () => {
    const bus = await open();
    const slow = bus.subscribe({ maxQueue: 10 });
    const fast = bus.subscribe();
    publishMany(bus, 3);
    expect(sequencesOf(await takeEvents(slow, 3))).toEqual([1, 2, 3]);
    // Events are delivered a durable batch at a time: a batch larger than
    // the queue is taken in, but a subscriber still holding more than its
    // bound when the next batch comes is cut off.
    publishMany(bus, 50);
    await bus.flush();
    expect(bus.subscriberCount).toBe(2);
    publishMany(bus, 1);
    await bus.flush();
    expect(bus.subscriberCount).toBe(1);
    const error = await slow.next().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BerthError);
    expect(error).toMatchObject({
      code: "resource_exhausted",
      message: "subscriber fell behind; last sequence sent was 3: resubscribe with since_sequence 3",
    });
    expect(await slow.next()).toEqual({ done: true, value: undefined });
    expect(sequencesOf(await takeEvents(fast, 54))).toEqual(range(1, 54));
    const resumed = bus.subscribe({ sinceSequence: slow.lastSequence });
    expect(sequencesOf(await takeEvents(resumed, 51))).toEqual(range(4, 54));
    await bus.close();
  });

  it("hands an event to subscribers only once the journal has made it durable", async () => {
    // The journal holds its batch for a minute, so the event cannot become
    // durable during the check below, however slow the host.
    const bus = await open({ flushIntervalMs: 60_000 });
    const stream = bus.subscribe();
    const first = stream.next();
    let got = false;
    void first.then(() => (got = true));
    bus.publish(started());
    // Proving a negative: nothing arrives within a bounded 20 ms, ample for
    // a delivery that does not wait for the disk (it would take a tick).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got).toBe(false);
    await bus.flush();
    expect(sequencesOf([(await first).value!])).toEqual([1]);
    await bus.close();
  });

  it("ends the iteration cleanly when the signal aborts, live or mid-replay", async () => {
    const bus = await open({ tailEvents: 4, segmentEvents: 10 });
    const live = new AbortController();
    const stream = bus.subscribe({ signal: live.signal });
    const parked = stream.next();
    live.abort();
    expect(await parked).toEqual({ done: true, value: undefined });
    expect(bus.subscriberCount).toBe(0);

    publishMany(bus, 100);
    const replaying = new AbortController();
    const replay = bus.subscribe({ sinceSequence: 0n, signal: replaying.signal });
    await takeEvents(replay, 2);
    replaying.abort();
    expect(await replay.next()).toEqual({ done: true, value: undefined });
    expect(bus.subscriberCount).toBe(0);

    const already = bus.subscribe({ signal: AbortSignal.abort() });
    expect(await already.next()).toEqual({ done: true, value: undefined });

    const broken = bus.subscribe();
    bus.publish(started());
    for await (const _ of broken) break;
    expect(bus.subscriberCount).toBe(0);
    await bus.close();
  });

  it("ends the stream at until: after replay when it has passed, and when it comes if it lies ahead", async () => {
    const bus = await open();
    publishMany(bus, 3);
    const cut = await nextMillisecond();
    await nextMillisecond();
    publishMany(bus, 3);
    expect(sequencesOf(await takeEvents(bus.subscribe({ sinceSequence: 0n, until: cut }), Infinity))).toEqual([1, 2, 3]);

    const until = new Date(Date.now() + 150);
    const ahead = bus.subscribe({ until });
    const collected = takeEvents(ahead, Infinity, 5000);
    publishMany(bus, 2);
    await waitFor(() => Date.now() > until.getTime() + 20, 5000, "until to pass");
    publishMany(bus, 2);
    expect(sequencesOf(await collected)).toEqual([7, 8]);
    expect(bus.subscriberCount).toBe(0);
    await bus.close();
  });

  it("replays from a since time", async () => {
    const bus = await open();
    publishMany(bus, 3);
    const since = await nextMillisecond();
    publishMany(bus, 2);
    const stream = bus.subscribe({ since });
    expect(sequencesOf(await takeEvents(stream, 2))).toEqual([4, 5]);
    bus.publish(started());
    expect(sequencesOf(await takeEvents(stream, 1))).toEqual([6]);
    await bus.close();
  });

  it("waits for subscribers to drain, and on close hands out what is queued before ending", async () => {
    const bus = await open();
    const stream = bus.subscribe();
    publishMany(bus, 5);
    let idle = false;
    const waiting = bus.waitIdle().then(() => (idle = true));
    // Once the journal has written the events and a turn has passed,
    // waitIdle has nothing left to wait for but the subscriber.
    await bus.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    expect(sequencesOf(await takeEvents(stream, 3))).toEqual([1, 2, 3]);
    await bus.close();
    expect(() => bus.subscribe()).toThrow(/closed event bus/);
    expect(sequencesOf(await takeEvents(stream, Infinity))).toEqual([4, 5]);
    await waiting;
  });
});
