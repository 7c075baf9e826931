// BackendDispatcher delivers events to a Backend's stateChanged one at a
// time, in sequence order, awaiting each call: libcontainerd's StateChanged
// contract. A handler that throws is reported and delivery goes on, so one
// bad event cannot silence the backend.
import type { Event } from "../gen/berth/v1/types_pb.js";
import { isBerthError } from "../errors/berth-error.js";
import { stateInfoOf, type Backend } from "./backend.js";

export interface ResumeOptions {
  // sinceSequence is the last sequence delivered, undefined before the first.
  sinceSequence: bigint | undefined;
  signal: AbortSignal;
}

// EventSource is a stream of events, or a function that opens one. Given a
// function, the dispatcher resubscribes from the last delivered sequence
// when a stream ends with RESOURCE_EXHAUSTED (a slow handler fell behind),
// so the backend misses nothing the journal still holds.
export type EventSource = AsyncIterable<Event> | ((options: ResumeOptions) => AsyncIterable<Event>);

export interface BackendDispatcherOptions {
  // onError hears of each failed stateChanged call (with its event) and of
  // a source that failed (without one). Default: console.error.
  onError?: (error: unknown, event: Event | undefined) => void;
}

export class BackendDispatcher {
  // done settles when delivery stops: the source ended, failed or was closed.
  readonly done: Promise<void>;
  private readonly controller = new AbortController();
  private readonly onError: (error: unknown, event: Event | undefined) => void;
  private iterator: AsyncIterator<Event> | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private last: bigint | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly source: EventSource,
    options: BackendDispatcherOptions = {},
  ) {
    this.onError = options.onError ?? reportToConsole;
    this.done = this.run();
  }

  // lastSequence is the sequence of the last event handed to the backend.
  get lastSequence(): bigint | undefined {
    return this.last;
  }

  // close stops delivery and resolves once the call in flight, if any, has
  // finished. No stateChanged call starts after close is called.
  async close(): Promise<void> {
    if (!this.controller.signal.aborted) {
      this.controller.abort();
      const iterator = this.iterator;
      this.iterator = undefined;
      iterator?.return?.().catch((err: unknown) => this.report(err, undefined));
    }
    await this.inFlight;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let resumedFrom: bigint | undefined | null = null;
    while (!signal.aborted) {
      try {
        const events = typeof this.source === "function" ? this.source({ sinceSequence: this.last, signal }) : this.source;
        await this.drain(events);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.report(err, undefined);
        // Only a subscriber cut off for falling behind is worth resuming,
        // and only while each attempt gets further than the one before.
        const retry = typeof this.source === "function" && isBerthError(err, "resource_exhausted") && this.last !== resumedFrom;
        if (!retry) return;
        resumedFrom = this.last;
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
      if (this.last !== undefined && event.sequence <= this.last) continue;
      this.last = event.sequence;
      this.inFlight = this.deliver(event);
      await this.inFlight;
    }
  }

  private async deliver(event: Event): Promise<void> {
    try {
      await this.backend.stateChanged(event.containerId, stateInfoOf(event));
    } catch (err) {
      this.report(err, event);
    }
  }

  private report(error: unknown, event: Event | undefined): void {
    try {
      this.onError(error, event);
    } catch (err) {
      // onError itself failed: the console is the last place left to tell.
      console.error("backend dispatcher: onError threw:", err, "while reporting:", error);
    }
  }
}

function reportToConsole(error: unknown, event: Event | undefined): void {
  if (event === undefined) console.error("backend dispatcher: event source failed:", error);
  else console.error(`backend dispatcher: stateChanged failed for ${event.containerId} at sequence ${event.sequence}:`, error);
}
