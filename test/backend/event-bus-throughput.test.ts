// Measures fan-out throughput and memory and prints them; timings depend on
// the machine, so nothing here asserts a speed.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it, vi } from "vitest";
import { EventType } from "../../src/gen/berth/v1/types_pb.js";
import { EventBus } from "../../src/backend/event-bus.js";
import { useTempDir } from "./temp-dir.js";

const EVENTS = 100_000;
const SUBSCRIBERS = 100;
const BURST = 1000;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

// memory reports RSS and the heap left after a full collection, which is
// what the bus actually holds on to.
function memory(): string {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  const { rss, heapUsed } = process.memoryUsage();
  return `RSS ${mb(rss)}, heap after GC ${mb(heapUsed)}`;
}

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

describe("EventBus throughput", { timeout: 120_000 }, () => {
  const tempDir = useTempDir();

  it(`delivers ${EVENTS} events to ${SUBSCRIBERS} subscribers with bounded memory`, async () => {
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

    // Subscribers that never read are cut off at their queue bound, so they
    // cost the daemon nothing more however long they stall.
    const stalled = Array.from({ length: SUBSCRIBERS }, () => bus.subscribe());
    await publishInBursts(bus, EVENTS);
    await bus.waitIdle();
    expect(bus.subscriberCount).toBe(0);
    lines.push(`  ${SUBSCRIBERS} stalled subscribers, cut off at their queue bound: ${memory()}`);
    await Promise.all(stalled.map((s) => s.next().catch((err: unknown) => err)));

    console.log(lines.join("\n"));
    await bus.close();
  });
});
