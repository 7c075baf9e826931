// BackendDispatcher, the one relay from events to a Backend that both
// clients use: delivery over a real event bus, then its resume policy
// (resume-policy.ts) against a scripted fake source.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it, vi } from "vitest";
import { EventSchema, EventType, type Event } from "../../src/gen/berth/v1/types_pb.js";
import { StateExit, StateStart, type Backend, type StateInfo } from "../../src/backend/backend.js";
import { BackendDispatcher, type EventSource, type ResumeCursor } from "../../src/backend/backend-dispatcher.js";
import { EventBus, type PublishInput } from "../../src/backend/event-bus.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { range, waitFor } from "./take-events.js";
import { useTempDir } from "./temp-dir.js";

const quiet = { warn: vi.fn(), error: vi.fn() };

function started(containerId = "c1"): PublishInput {
  return { namespace: "default", containerId, processId: "init", type: EventType.START_CONTAINER, pid: 100 };
}

// recordingBackend records each call and how many ran at once.
function recordingBackend(handle: (id: string, state: StateInfo) => void | Promise<void> = () => {}) {
  const calls: { id: string; state: StateInfo }[] = [];
  let running = 0;
  let maxRunning = 0;
  const backend: Backend = {
    async stateChanged(id, state) {
      calls.push({ id, state });
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await handle(id, state);
      } finally {
        running--;
      }
    },
  };
  return { backend, calls, maxRunning: () => maxRunning };
}

describe("BackendDispatcher", { timeout: 20_000 }, () => {
  const tempDir = useTempDir();

  it("calls stateChanged one at a time in sequence order, awaiting async handlers", async () => {
    const bus = await EventBus.open(tempDir(), { logger: quiet });
    const { backend, calls, maxRunning } = recordingBackend(
      (_, state) => new Promise((resolve) => setTimeout(resolve, Number(state.sequence) % 3)),
    );
    const dispatcher = new BackendDispatcher(backend, (o) => bus.subscribe(o), { from: { sinceSequence: bus.lastSequence() } });
    for (let i = 0; i < 30; i++) bus.publish(i % 2 === 0 ? started(`c${i}`) : { ...started(`c${i}`), type: EventType.EXIT, exitCode: i });
    await waitFor(() => calls.length === 30, 10_000, "30 calls");
    expect(calls.map((c) => Number(c.state.sequence))).toEqual(range(1, 30));
    expect(maxRunning()).toBe(1);
    expect(calls[0]).toMatchObject({ id: "c0", state: { state: StateStart, processId: "init", pid: 100, namespace: "default" } });
    expect(calls[1]).toMatchObject({ id: "c1", state: { state: StateExit, exitCode: 1 } });
    await dispatcher.close();
    await bus.close();
    await dispatcher.done;
  });

  it("reports a failing handler and goes on delivering", async () => {
    const bus = await EventBus.open(tempDir(), { logger: quiet });
    const onError = vi.fn();
    const { backend, calls } = recordingBackend((_, state) => {
      if (state.sequence === 2n) throw new Error("sync boom");
      if (state.sequence === 4n) return Promise.reject(new Error("async boom"));
    });
    const dispatcher = new BackendDispatcher(backend, (o) => bus.subscribe(o), { from: { sinceSequence: bus.lastSequence() }, onError });
    for (let i = 0; i < 6; i++) bus.publish(started());
    await waitFor(() => calls.length === 6, 5000, "6 calls");
    await dispatcher.close();
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError.mock.calls.map(([err, event]) => [(err as Error).message, (err as Error).cause, (event as Event).sequence])).toEqual([
      ["backend.stateChanged failed for c1 event 2: sync boom", new Error("sync boom"), 2n],
      ["backend.stateChanged failed for c1 event 4: async boom", new Error("async boom"), 4n],
    ]);
    await bus.close();
  });

  it("reports an event no state name fits and goes on", async () => {
    const onError = vi.fn();
    const { backend, calls } = recordingBackend();
    const source = async function* () {
      yield create(EventSchema, { sequence: 1n, containerId: "c1", type: EventType.UNSPECIFIED });
      yield create(EventSchema, { sequence: 2n, containerId: "c1", type: EventType.PAUSE });
    };
    const dispatcher = new BackendDispatcher(backend, source, { from: { sinceSequence: 0n }, onError });
    await dispatcher.done;
    expect(calls.map((c) => c.state.state)).toEqual(["pause"]);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: expect.stringMatching(/no state name/) }), expect.anything());
  });

  it("close stops delivery and waits for the call in flight", async () => {
    const bus = await EventBus.open(tempDir(), { logger: quiet });
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const { backend, calls } = recordingBackend(() => blocked);
    const dispatcher = new BackendDispatcher(backend, (o) => bus.subscribe(o), { from: { sinceSequence: bus.lastSequence() } });
    bus.publish(started());
    bus.publish(started());
    await waitFor(() => calls.length === 1, 5000, "the first call");
    let closed = false;
    const closing = dispatcher.close().then(() => (closed = true));
    // Proving a negative: close() has not returned within a bounded 20 ms
    // while the call it must wait for is still blocked.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    release();
    await closing;
    await dispatcher.done;
    expect(calls).toHaveLength(1);
    expect(bus.subscriberCount).toBe(0);
    await bus.close();
  });

  it("resubscribes from the last delivered sequence when a slow handler falls behind", async () => {
    const bus = await EventBus.open(tempDir(), { logger: quiet, maxQueue: 8 });
    const onError = vi.fn();
    const { backend, calls } = recordingBackend(() => new Promise((resolve) => setTimeout(resolve, 1)));
    const dispatcher = new BackendDispatcher(backend, (o) => bus.subscribe(o), { from: { sinceSequence: 0n }, onError });
    // Several durable batches, so the handler is still behind the first
    // when the next arrives.
    for (let i = 0; i < 200; i++) {
      bus.publish(started(`c${i}`));
      if (i % 40 === 39) await bus.flush();
    }
    await waitFor(() => calls.length === 200, 10_000, "200 calls");
    expect(calls.map((c) => Number(c.state.sequence))).toEqual(range(1, 200));
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: "resource_exhausted" }), undefined);
    await dispatcher.close();
    await bus.close();
  });
});

// A step of a scripted source: what one subscription yields, then how it
// ends: with a failure (after failAfterMs), cleanly, or open until the
// dispatcher closes it. throwOnOpen fails the subscribe call itself, as
// EventBus.subscribe does for a sequence it no longer holds.
interface Step {
  events?: Event[];
  fail?: unknown;
  failAfterMs?: number;
  throwOnOpen?: unknown;
  end?: boolean;
}

// scriptedSource plays one step per subscription (then stays open) and
// records the cursor of each.
function scriptedSource(steps: Step[]) {
  const cursors: ResumeCursor[] = [];
  const source: EventSource = ({ signal, ...cursor }) => {
    cursors.push(cursor);
    const step = steps.shift() ?? {};
    if (step.throwOnOpen !== undefined) throw step.throwOnOpen;
    return (async function* () {
      yield* step.events ?? [];
      if (step.failAfterMs !== undefined) await new Promise((resolve) => setTimeout(resolve, step.failAfterMs));
      if (step.fail !== undefined) throw step.fail;
      if (step.end === true) return;
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    })();
  };
  return { source, cursors };
}

const T0 = new Date("2026-01-01T00:00:00Z");

function event(sequence: number, secondsAfterT0 = sequence): Event {
  const timestamp = timestampFromDate(new Date(T0.getTime() + secondsAfterT0 * 1000));
  return create(EventSchema, { sequence: BigInt(sequence), containerId: `c${sequence}`, type: EventType.START_CONTAINER, timestamp });
}

const fail = (code: ConstructorParameters<typeof BerthError>[0], message = `${code} here`) => new BerthError(code, message);

// Short timings, so that a test of back-off and giving up takes milliseconds.
const FAST = { firstDelayMs: 5, maxDelayMs: 20, giveUpAfter: 6, healthyAfterMs: 60_000 };

describe("BackendDispatcher's resume policy", { timeout: 10_000 }, () => {
  function start(steps: Step[], from: ResumeCursor = { sinceSequence: 0n }) {
    const { source, cursors } = scriptedSource(steps);
    const { backend, calls } = recordingBackend();
    const reports: { error: BerthError; event: Event | undefined }[] = [];
    const dispatcher = new BackendDispatcher(backend, source, { from, retry: FAST, onError: (error, event) => void reports.push({ error, event }) });
    const delivered = () => calls.map((c) => Number(c.state.sequence));
    return { dispatcher, cursors, reports, delivered, messages: () => reports.map((r) => r.error.message) };
  }

  it("resumes after the last delivered sequence, at once after progress, skipping what a resumed stream repeats", async () => {
    const r = start([{ events: [event(1), event(2)], fail: fail("resource_exhausted", "subscriber fell behind") }, { events: [event(2), event(3)] }]);
    await waitFor(() => r.delivered().length === 3, 5000, "3 events");
    expect(r.delivered()).toEqual([1, 2, 3]);
    expect(r.cursors).toEqual([{ sinceSequence: 0n }, { sinceSequence: 2n }]);
    expect(r.reports).toHaveLength(1);
    expect(r.reports[0]!.event).toBeUndefined();
    expect(r.reports[0]!.error.code).toBe("resource_exhausted");
    expect(r.messages()).toEqual(["event stream failed: subscriber fell behind; resubscribing after sequence 2"]);
    await r.dispatcher.close();
    await r.dispatcher.done;
  });

  it("before the first event, resumes from where delivery began", async () => {
    const since = new Date("2026-02-03T04:05:06Z");
    const r = start([{ fail: fail("unavailable", "daemon gone") }, { events: [event(7)] }], { since });
    await waitFor(() => r.delivered().length === 1, 5000, "the event");
    expect(r.cursors).toEqual([{ since }, { since }]);
    expect(r.messages()).toEqual([`event stream failed: daemon gone; resubscribing since ${since.toISOString()} in 5 ms`]);
    await r.dispatcher.close();
  });

  it("backs off, doubling to its cap, while attempts get nothing, and gives up in the end", async () => {
    const began = Date.now();
    const r = start(Array.from({ length: 6 }, () => ({ fail: fail("unavailable", "connection refused") })));
    await r.dispatcher.done;
    // 5 + 10 + 20 + 20 + 20 ms of waiting, at the least.
    expect(Date.now() - began).toBeGreaterThanOrEqual(75);
    expect(r.cursors).toHaveLength(6);
    expect(r.messages()).toEqual([
      ...[5, 10, 20, 20, 20].map((ms) => `event stream failed: connection refused; resubscribing after sequence 0 in ${ms} ms`),
      "event delivery stopped after 6 failed attempts in a row: connection refused",
    ]);
    expect(r.reports.map((x) => x.error.code)).toEqual(Array(6).fill("unavailable"));
  });

  it("an attempt that delivers an event starts the back-off over", async () => {
    const r = start([{ fail: fail("unavailable") }, { fail: fail("unavailable") }, { events: [event(1)], fail: fail("unavailable") }, { fail: fail("unavailable") }]);
    await waitFor(() => r.reports.length === 4, 5000, "4 reports");
    expect(r.messages().map((m) => / in (\d+) ms$/.exec(m)?.[1] ?? "at once")).toEqual(["5", "10", "at once", "5"]);
    expect(r.cursors.at(-1)).toEqual({ sinceSequence: 1n });
    await r.dispatcher.close();
  });

  it("an attempt that stayed open healthyAfterMs counts as progress, though it delivered nothing", async () => {
    const { source, cursors } = scriptedSource([{ fail: fail("unavailable", "down") }, { fail: fail("unavailable", "dropped"), failAfterMs: 50 }, {}]);
    const reports: string[] = [];
    const dispatcher = new BackendDispatcher(recordingBackend().backend, source, {
      from: { sinceSequence: 0n },
      retry: { ...FAST, healthyAfterMs: 40 },
      onError: (error) => void reports.push(error.message),
    });
    await waitFor(() => cursors.length === 3, 5000, "the third attempt");
    expect(reports).toEqual([
      "event stream failed: down; resubscribing after sequence 0 in 5 ms",
      "event stream failed: dropped; resubscribing after sequence 0",
    ]);
    await dispatcher.close();
  });

  it("OUT_OF_RANGE: reports the events as lost and asks by time for what the journal still holds", async () => {
    const lost = fail("out_of_range", "cannot resume after sequence 1: oldest held sequence is 5");
    // The second subscription fails as it opens, as EventBus.subscribe does.
    const r = start([{ events: [event(1)], fail: fail("resource_exhausted", "cut off") }, { throwOnOpen: lost }, { events: [event(1), event(5), event(6)] }]);
    await waitFor(() => r.delivered().length === 3, 5000, "the events after the gap");
    expect(r.delivered()).toEqual([1, 5, 6]);
    const since = new Date(T0.getTime() + 1000);
    expect(r.cursors).toEqual([{ sinceSequence: 0n }, { sinceSequence: 1n }, { since }]);
    expect(r.reports.map((x) => x.error.code)).toEqual(["resource_exhausted", "out_of_range"]);
    expect(r.messages()[1]).toBe(
      `events after sequence 1 are lost: ${lost.message}; resubscribing since ${since.toISOString()} for what the journal still holds in 5 ms`,
    );
    expect(r.reports[1]!.error.cause).toBe(lost);
    await r.dispatcher.close();
  });

  it("stops at once on a failure that a retry would only repeat", async () => {
    const r = start([{ fail: fail("failed_precondition", "cannot subscribe to a closed event bus") }]);
    await r.dispatcher.done;
    expect(r.cursors).toHaveLength(1);
    expect(r.reports.map((x) => [x.error.code, x.error.message])).toEqual([
      ["failed_precondition", "event delivery stopped: cannot subscribe to a closed event bus"],
    ]);
  });

  it("a stream that ends cleanly ends delivery, with nothing to report", async () => {
    const r = start([{ events: [event(1)], end: true }]);
    await r.dispatcher.done;
    expect(r.delivered()).toEqual([1]);
    expect(r.cursors).toHaveLength(1);
    expect(r.reports).toEqual([]);
  });

  it("close ends a back-off at once, with no further attempt", async () => {
    const { source, cursors } = scriptedSource([{ fail: fail("unavailable") }]);
    const onError = vi.fn();
    const dispatcher = new BackendDispatcher(recordingBackend().backend, source, {
      from: { sinceSequence: 0n },
      retry: { firstDelayMs: 60_000 },
      onError,
    });
    await waitFor(() => onError.mock.calls.length === 1, 5000, "the failure");
    const began = Date.now();
    await dispatcher.close();
    await dispatcher.done;
    expect(Date.now() - began).toBeLessThan(1000);
    expect(cursors).toHaveLength(1);
  });
});
