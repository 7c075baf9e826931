// The event bus under volume: every event reaches every subscriber, a
// stalled subscriber is cut off, and the memory the bus holds does not grow
// with the number of events it has carried. Throughput is printed, not
// asserted: timings depend on the machine.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it, vi } from "vitest";
import type { Event } from "../../src/gen/berth/v1/types_pb.js";
import { EventType } from "../../src/gen/berth/v1/types_pb.js";
import { EventBus } from "../../src/backend/event-bus.js";
import { until } from "../fixtures/until.js";
import { useTempDir } from "./temp-dir.js";

const EVENTS = 100_000;
const SUBSCRIBERS = 100;
const BURST = 1000;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

// gc runs a full collection. The flag set at run time takes effect in
// contexts made after it, so the function comes from a new context.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as (() => void) | undefined;

// heapAfterGc is the heap left after full collections: what is still held.
function heapAfterGc(): number {
  if (typeof gc !== "function") throw new Error("no gc(): --expose-gc did not take effect");
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const memory = () => `RSS ${mb(process.memoryUsage().rss)}, heap after GC ${mb(heapAfterGc())}`;

async function publishInBursts(bus: EventBus, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += BURST) {
    for (let i = 0; i < BURST; i++) {
      bus.publish({ namespace: "default", containerId: `c${i % 50}`, processId: "init", type: EventType.START_PROCESS, pid: i });
    }
    // Yield between bursts, as a daemon serving RPCs would.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function fanOut(bus: EventBus): Promise<number> {
  const received = new Array<number>(SUBSCRIBERS).fill(0);
  const consumers = received.map(async (_, i) => {
    for await (const event of bus.subscribe()) {
      if (event.sequence > 0n && ++received[i]! === EVENTS) break;
    }
  });
  const start = performance.now();
  await publishInBursts(bus, EVENTS);
  await Promise.all(consumers);
  const ms = performance.now() - start;
  expect(received.every((n) => n === EVENTS)).toBe(true);
  return ms;
}

// heapGrowthPerEvent runs a bus with readers through a warm-up of n events
// (the ring, the segments and the queues reach their working size), then
// through 10n more, and returns the heap growth per event between the two.
// keep, when given, is a reader that holds every event it gets: the leak the
// bus must not have, to prove the measurement sees one.
async function heapGrowthPerEvent(dir: string, n: number, keep?: Event[]): Promise<number> {
  const bus = await EventBus.open(dir, { fsync: false, segmentEvents: 1024, maxEvents: 4096, tailEvents: 1024, logger: { warn: vi.fn(), error: vi.fn() } });
  const readers = 4;
  const received = new Array<number>(readers).fill(0);
  const consumers = received.map(async (_, i) => {
    for await (const event of bus.subscribe()) {
      received[i]!++;
      if (i === 0) keep?.push(event);
    }
  });
  const caughtUp = (total: number) => until(() => received.every((r) => r === total), `every reader to get ${total} events`, 60_000);
  await publishInBursts(bus, n);
  await bus.waitIdle();
  await caughtUp(n);
  const before = heapAfterGc();
  await publishInBursts(bus, 10 * n);
  await bus.waitIdle();
  await caughtUp(11 * n);
  const after = heapAfterGc();
  await bus.close();
  await Promise.all(consumers.map((c) => c.catch(() => {})));
  return (after - before) / (10 * n);
}

describe("EventBus under volume", { timeout: 120_000 }, () => {
  const tempDir = useTempDir();

  it(`delivers ${EVENTS} events to each of ${SUBSCRIBERS} subscribers, twice, and cuts off subscribers that stall`, async () => {
    const bus = await EventBus.open(tempDir(), { logger: { warn: vi.fn(), error: vi.fn() } });
    const lines = [`event bus, ${EVENTS} events per round, journal with fsync:`, `  at start: ${memory()}`];

    const aloneStart = performance.now();
    await publishInBursts(bus, EVENTS);
    await bus.waitIdle();
    lines.push(`  no subscribers: ${Math.round(EVENTS / ((performance.now() - aloneStart) / 1000))} events/s published, written`);

    for (const round of [1, 2]) {
      const ms = await fanOut(bus);
      await bus.waitIdle();
      lines.push(
        `  ${SUBSCRIBERS} subscribers, round ${round}: ${Math.round(EVENTS / (ms / 1000))} events/s published and delivered to all` +
          ` (${Math.round((EVENTS * SUBSCRIBERS) / (ms / 1000))} deliveries/s); ${memory()}`,
      );
    }

    // Subscribers that never read are cut off at their queue bound.
    const stalled = Array.from({ length: SUBSCRIBERS }, () => bus.subscribe());
    await publishInBursts(bus, EVENTS);
    await bus.waitIdle();
    expect(bus.subscriberCount).toBe(0);
    lines.push(`  ${SUBSCRIBERS} stalled subscribers, cut off at their queue bound: ${memory()}`);
    const ends = await Promise.all(stalled.map((s) => s.next().catch((err: unknown) => err)));
    for (const end of ends) expect(end).toMatchObject({ code: "resource_exhausted" });

    console.log(lines.join("\n"));
    await bus.close();
  });

  // 16 bytes an event is far below what holding an event costs (an Event
  // message is hundreds of bytes), so a bus that kept anything per event
  // (the event, a queue slot with its closure) would exceed it; the control
  // run, whose reader keeps every event, shows the measurement catches that.
  it("holds no more memory after 10n events than after n: the heap does not grow with the events carried", async () => {
    const n = 10_000;
    const bound = 16;
    const kept: Event[] = [];
    const leaking = await heapGrowthPerEvent(`${tempDir()}/leaking`, n, kept);
    expect(kept).toHaveLength(11 * n);
    kept.length = 0;
    const bounded = await heapGrowthPerEvent(`${tempDir()}/bounded`, n);
    console.log(`heap growth per event over ${10 * n} events: ${bounded.toFixed(1)} B (a reader keeping each event: ${leaking.toFixed(1)} B)`);
    expect(leaking).toBeGreaterThan(bound);
    expect(bounded).toBeLessThan(bound);
  });
});
