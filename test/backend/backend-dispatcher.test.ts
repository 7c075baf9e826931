import { create } from "@bufbuild/protobuf";
import { describe, expect, it, vi } from "vitest";
import { EventSchema, EventType, type Event } from "../../src/gen/berth/v1/types_pb.js";
import { StateExit, StateStart, type Backend, type StateInfo } from "../../src/backend/backend.js";
import { BackendDispatcher } from "../../src/backend/backend-dispatcher.js";
import { EventBus, type PublishInput } from "../../src/backend/event-bus.js";
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
    const dispatcher = new BackendDispatcher(backend, bus.subscribe());
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
    const dispatcher = new BackendDispatcher(backend, bus.subscribe(), { onError });
    for (let i = 0; i < 6; i++) bus.publish(started());
    await waitFor(() => calls.length === 6, 5000, "6 calls");
    await dispatcher.close();
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError.mock.calls.map(([err, event]) => [(err as Error).message, (event as Event).sequence])).toEqual([
      ["sync boom", 2n],
      ["async boom", 4n],
    ]);
    await bus.close();
  });

  it("reports an event no state name fits and goes on", async () => {
    const onError = vi.fn();
    const { backend, calls } = recordingBackend();
    const source = (async function* () {
      yield create(EventSchema, { sequence: 1n, containerId: "c1", type: EventType.UNSPECIFIED });
      yield create(EventSchema, { sequence: 2n, containerId: "c1", type: EventType.PAUSE });
    })();
    const dispatcher = new BackendDispatcher(backend, source, { onError });
    await dispatcher.done;
    expect(calls.map((c) => c.state.state)).toEqual(["pause"]);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: expect.stringMatching(/no state name/) }), expect.anything());
  });

  it("close stops delivery and waits for the call in flight", async () => {
    const bus = await EventBus.open(tempDir(), { logger: quiet });
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const { backend, calls } = recordingBackend(() => blocked);
    const dispatcher = new BackendDispatcher(backend, bus.subscribe());
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
    const dispatcher = new BackendDispatcher(backend, ({ sinceSequence, signal }) => bus.subscribe({ sinceSequence, signal }), { onError });
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
