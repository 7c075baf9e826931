// BackendDispatcher is the one relay from an event stream to a Backend, used
// by LocalClient and GrpcClient alike. It delivers events to stateChanged
// one at a time, in sequence order, awaiting each call: libcontainerd's
// StateChanged contract. A handler that throws is reported and delivery goes
// on, so one bad event cannot silence the backend. A stream that fails is
// opened again as resume-policy.ts says (from the last delivered sequence,
// with back-off, reporting lost events, giving up in the end); a stream that
// ends cleanly has nothing more to give (the event bus closed), and delivery
// stops there.
import { setTimeout as delay } from "node:timers/promises";
import { timestampDate } from "@bufbuild/protobuf/wkt";

import { BerthError } from "../errors/berth-error.js";
import type { Event } from "../gen/berth/v1/types_pb.js";
import { isImageEvent, stateInfoOf, type Backend } from "./backend.js";
import { DEFAULT_RETRY, nextStep, type Delivered, type ResumeCursor, type RetryTiming } from "./resume-policy.js";

export type { ResumeCursor, RetryTiming } from "./resume-policy.js";

// EventSource opens a stream of events from a cursor: a Client's subscribe
// fits. It must end the stream when signal aborts.
export type EventSource = (options: ResumeCursor & { signal: AbortSignal }) => AsyncIterable<Event>;

export interface BackendDispatcherOptions {
  // from is where delivery begins: after a sequence, or at a time.
  from: ResumeCursor;
  // onError hears of each failed stateChanged call (with its event) and of
  // each failure of the stream (without one), as a BerthError saying what
  // happens next. Default: console.error.
  onError?: (error: BerthError, event: Event | undefined) => void;
  // retry overrides the back-off and give-up timing (tests shorten it).
  retry?: Partial<RetryTiming>;
}

export class BackendDispatcher {
  // done settles when delivery stops: the source ended, delivery gave up,
  // or it was closed.
  readonly done: Promise<void>;
  private readonly controller = new AbortController();
  private readonly onError: (error: BerthError, event: Event | undefined) => void;
  private readonly timing: RetryTiming;
  private readonly origin: Date;
  private iterator: AsyncIterator<Event> | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private last: Delivered | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly source: EventSource,
    private readonly options: BackendDispatcherOptions,
  ) {
    this.onError = options.onError ?? reportToConsole;
    this.timing = { ...DEFAULT_RETRY, ...options.retry };
    this.origin = "since" in options.from ? options.from.since : new Date();
    this.done = this.run();
  }

  // lastSequence is the sequence of the last event handed to the backend.
  get lastSequence(): bigint | undefined {
    return this.last?.sequence;
  }

  // close stops delivery and resolves once the call in flight, if any, has
  // finished. No stateChanged call starts after close is called.
  async close(): Promise<void> {
    if (!this.controller.signal.aborted) {
      this.controller.abort();
      const iterator = this.iterator;
      this.iterator = undefined;
      iterator?.return?.().catch(() => {});
    }
    await this.inFlight;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let cursor = this.options.from;
    let fruitless = 0;
    while (!signal.aborted) {
      const openedAt = Date.now();
      const before = this.last;
      try {
        await this.drain(this.source({ ...cursor, signal }));
        return;
      } catch (error) {
        if (signal.aborted) return;
        const progressed = this.last !== before || Date.now() - openedAt >= this.timing.healthyAfterMs;
        const step = nextStep({ error, cursor, last: this.last, origin: this.origin, progressed, fruitless }, this.timing);
        this.report(step.report, undefined);
        if (!step.resume) return;
        ({ cursor, fruitless } = step);
        if (step.delayMs > 0) await delay(step.delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async drain(events: AsyncIterable<Event>): Promise<void> {
    const iterator = events[Symbol.asyncIterator]();
    this.iterator = iterator;
    for (;;) {
      const result = await iterator.next();
      if (result.done === true || this.controller.signal.aborted) return;
      const event = result.value;
      // A resumed stream may repeat what was delivered before it broke.
      if (this.last !== undefined && event.sequence <= this.last.sequence) continue;
      this.last = { sequence: event.sequence, timestamp: event.timestamp && timestampDate(event.timestamp) };
      this.inFlight = this.deliver(event);
      await this.inFlight;
    }
  }

  private async deliver(event: Event): Promise<void> {
    if (isImageEvent(event.type)) return;
    try {
      await this.backend.stateChanged(event.containerId, stateInfoOf(event));
    } catch (err) {
      const cause = BerthError.from(err);
      const message = `backend.stateChanged failed for ${event.containerId} event ${event.sequence}: ${cause.message}`;
      this.report(new BerthError(cause.code, message, { cause: err }), event);
    }
  }

  private report(error: BerthError, event: Event | undefined): void {
    try {
      this.onError(error, event);
    } catch (err) {
      // onError itself failed: the console is the last place left to tell.
      console.error("berth: the backend's onError threw:", err, "while reporting:", error);
    }
  }
}

function reportToConsole(error: BerthError): void {
  console.error(`berth: ${error.message}`, error.cause);
}
