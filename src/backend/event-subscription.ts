// EventSubscription is one subscriber's stream: a replay from the journal,
// if one was asked for, then live events from a bounded queue that the bus
// fills. It is its own async iterator, so a consumer that keeps up costs one
// settled promise per event and a parked consumer is woken once per burst,
// not once per event.
//
// The seam between replay and live has no gap and no duplicate: the bus
// registers the subscription (so live events start queueing) before the
// replay reads the journal, the replay reads up to the newest event at the
// time it finishes, and queued events the replay already covered are
// skipped by sequence. While replaying, the queue is only a cache of what
// the journal also holds, so if it overflows it is emptied and the replay
// runs once more from where it got to, instead of cutting the subscriber off.
import type { EventCounters } from "./event-counters.js";
import type { Event } from "../gen/berth/v1/types_pb.js";
import { BerthError } from "../errors/berth-error.js";
import { eventTimeMs, type EventPredicate } from "./event-filter.js";
import { EventQueue } from "./event-queue.js";

export interface EventStream extends AsyncIterableIterator<Event, undefined> {
  // lastSequence is the sequence of the last event handed out, or where the
  // stream started: the since_sequence to resubscribe with.
  readonly lastSequence: bigint;
}

export interface SubscriptionInit {
  matches: EventPredicate;
  // after is the sequence the stream starts after.
  after: bigint;
  // replay says whether to read the journal from after before going live.
  replay: boolean;
  // read reads the journal's matching events after a sequence.
  read(after: bigint): AsyncIterable<Event>;
  // untilMs ends the stream after the last event stamped at or before it.
  untilMs: number;
  maxQueue: number;
  signal: AbortSignal | undefined;
  // detach removes the subscription from the bus; called at most once.
  detach(subscription: EventSubscription): void;
  // drained is told whenever the subscription becomes idle, for waitIdle.
  drained(): void;
  counters: EventCounters;
}

interface Waiter {
  resolve(result: IteratorResult<Event, undefined>): void;
  reject(reason: unknown): void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const MAX_TIMER_MS = 2 ** 31 - 1;

export class EventSubscription implements EventStream {
  private readonly queue = new EventQueue();
  private replay: AsyncIterator<Event> | undefined;
  // waiter is the consumer's pending next(), when it is parked.
  private waiter: Waiter | undefined;
  // failure is thrown by the next call to next().
  private failure: BerthError | undefined;
  // resync is set when the queue overflowed during the replay, which must
  // then run again to cover what was dropped.
  private resync = false;
  // attached is true while the bus offers events to this subscription.
  private attached = true;
  private finished = false;
  private sent: bigint;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.finish();

  constructor(private readonly init: SubscriptionInit) {
    this.sent = init.after;
    this.replay = init.replay ? init.read(init.after)[Symbol.asyncIterator]() : undefined;
  }

  get lastSequence(): bigint {
    return this.sent;
  }

  // start arms the abort signal and the until timer; the bus calls it once
  // the subscription is registered, since either may detach it at once.
  start(): void {
    const signal = this.init.signal;
    if (signal?.aborted) return this.finish();
    signal?.addEventListener("abort", this.onAbort, { once: true });
    this.armUntil();
  }

  // offer is called by the bus, synchronously, for every published event.
  offer(event: Event, ms: number): void {
    // An event at or before the last one handed out (or the start) was
    // already sent, or never meant for this stream.
    if (!this.attached || event.sequence <= this.sent || !this.init.matches(event)) return;
    if (ms > this.init.untilMs) return this.end();
    const waiter = this.waiter;
    if (waiter !== undefined && this.replay === undefined) {
      this.waiter = undefined;
      this.sent = event.sequence;
      this.init.counters.delivered++;
      return waiter.resolve({ value: event, done: false });
    }
    if (this.replay !== undefined && this.queue.size >= this.init.maxQueue) {
      this.queue.clear();
      this.resync = true;
      return;
    }
    this.queue.push(event);
  }

  // beginBurst is called by the bus before it offers the next batch of
  // durable events. Events arrive in batches (one per journal write), so a
  // consumer that keeps up still sees its queue jump by a whole batch; it is
  // cut off only if it has not taken the queue below maxQueue by the time
  // the next batch comes. Its memory stays within maxQueue plus one batch.
  beginBurst(): void {
    if (!this.attached || this.replay !== undefined || this.queue.size <= this.init.maxQueue) return;
    const message = `subscriber fell behind; last sequence sent was ${this.sent}: resubscribe with since_sequence ${this.sent}`;
    this.init.counters.cutOff++;
    this.init.counters.dropped += this.queue.size;
    this.fail(new BerthError("resource_exhausted", message));
  }

  next(): Promise<IteratorResult<Event, undefined>> {
    if (this.queue.size > 0 && this.replay === undefined) {
      const event = this.queue.take();
      this.sent = event.sequence;
      this.init.counters.delivered++;
      if (this.queue.size === 0) this.init.drained();
      return Promise.resolve({ value: event, done: false });
    }
    return this.slowNext();
  }

  return(): Promise<IteratorResult<Event, undefined>> {
    this.finish();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // idle is true when nothing is waiting to be handed to the consumer.
  idle(): boolean {
    return this.finished || this.failure !== undefined || (this.replay === undefined && this.queue.size === 0);
  }

  // end stops live delivery; what is queued or still to replay is handed
  // out, then the stream is done.
  end(): void {
    this.detach();
    if (this.waiter !== undefined && this.replay === undefined) this.finish();
  }

  private slowNext(): Promise<IteratorResult<Event, undefined>> {
    if (this.waiter !== undefined) {
      return Promise.reject(new BerthError("failed_precondition", "cannot read one event stream from two places at once"));
    }
    const failure = this.failure;
    if (failure !== undefined) {
      this.failure = undefined;
      this.finish();
      return Promise.reject(failure);
    }
    if (this.finished || (!this.attached && this.replay === undefined)) {
      this.finish();
      return Promise.resolve(DONE);
    }
    const parked = new Promise<IteratorResult<Event, undefined>>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
    if (this.replay !== undefined) this.pullReplay(this.replay);
    return parked;
  }

  private pullReplay(replay: AsyncIterator<Event>): void {
    replay.next().then(
      (result) => {
        if (this.replay !== replay) return;
        const waiter = this.waiter!;
        this.waiter = undefined;
        if (!result.done && (this.init.untilMs === Infinity || eventTimeMs(result.value) <= this.init.untilMs)) {
          this.sent = result.value.sequence;
          return waiter.resolve(result);
        }
        if (result.done && this.resync) {
          this.resync = false;
          this.waiter = waiter;
          this.replay = this.init.read(this.sent)[Symbol.asyncIterator]();
          return this.pullReplay(this.replay);
        }
        this.replay = undefined;
        if (!result.done) {
          void replay.return?.();
          this.detach();
        }
        this.queue.dropThrough(this.sent);
        if (this.queue.size === 0) this.init.drained();
        this.next().then(waiter.resolve, waiter.reject);
      },
      (err: unknown) => {
        if (this.replay === replay) this.fail(BerthError.from(err));
      },
    );
  }

  private armUntil(): void {
    // +1 so that events stamped within until's own millisecond still count.
    const delay = this.init.untilMs - Date.now() + 1;
    if (delay === Infinity) return;
    if (delay <= 0) return this.end();
    this.timer = setTimeout(() => this.armUntil(), Math.min(delay, MAX_TIMER_MS));
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    clearTimeout(this.timer);
    this.init.detach(this);
  }

  // fail ends the stream with an error, dropping what is queued so that a
  // subscriber that fell behind holds no memory.
  private fail(error: BerthError): void {
    if (this.finished) return;
    const waiter = this.waiter;
    this.release();
    if (waiter === undefined) {
      this.failure = error;
    } else {
      this.finished = true;
      waiter.reject(error);
    }
    this.init.drained();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const waiter = this.waiter;
    this.release();
    waiter?.resolve(DONE);
    this.init.drained();
  }

  private release(): void {
    this.detach();
    this.init.signal?.removeEventListener("abort", this.onAbort);
    this.waiter = undefined;
    this.queue.clear();
    const replay = this.replay;
    this.replay = undefined;
    // The journal's reader holds no resources, so returning it cannot fail;
    // a read still in flight settles into pullReplay, which ignores it.
    void replay?.return?.();
  }
}
