// EventBus numbers the daemon's events, records them in the journal and
// fans them out to subscribers. publish() never waits: the journal writes in
// batches behind it, and each subscriber has a bounded queue, so neither a
// slow disk nor a slow subscriber can block the emitter, and a subscriber
// that falls behind is cut off (RESOURCE_EXHAUSTED, with the sequence to
// resume from) instead of growing the daemon's memory.
//
// An event reaches subscribers only once the journal has made it durable.
// A daemon killed at any moment therefore never takes back an event someone
// saw: after a restart the sequence numbers go on from the last event any
// subscriber can have received, and resuming from it misses nothing.
import { EventCounters } from "./event-counters.js";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventType, type Event } from "../gen/berth/v1/types_pb.js";
import { BerthError, failedPrecondition, invalidArgument, resourceExhausted } from "../errors/berth-error.js";
import { isImageEvent } from "./backend.js";
import { eventFilter, type EventFilterOptions } from "./event-filter.js";
import { EventJournal, type EventJournalOptions } from "./event-journal.js";
import { EventSubscription, type EventStream } from "./event-subscription.js";

export type { EventStream };

export interface PublishInput {
  namespace: string;
  containerId: string;
  processId: string;
  type: EventType;
  pid?: number;
  exitCode?: number;
  oomKilled?: boolean;
  monitorDied?: boolean;
  // revision is the container's revision once this change is made.
  revision?: bigint;
  hookStage?: string;
  hookMessage?: string;
  // network and address: a network event's network, and the container's
  // address on connect and disconnect.
  network?: string;
  address?: string;
  // image and imageId name the image of an image event (no container).
  image?: string;
  imageId?: string;
}

export interface SubscribeOptions extends EventFilterOptions {
  // sinceSequence replays the held events after this sequence first.
  sinceSequence?: bigint;
  // until ends the stream after the last event at or before this time.
  until?: Date;
  // signal ends the stream cleanly (done, not an error) when aborted.
  signal?: AbortSignal;
  // maxQueue bounds the events waiting for this subscriber.
  maxQueue?: number;
}

export interface EventBusOptions {
  // maxQueue is the default bound on a subscriber's queue (default 4096).
  maxQueue?: number;
  // maxSubscribers bounds the subscriptions open at once (default
  // DEFAULT_MAX_SUBSCRIBERS): each one is matched against every event
  // published, so their count is what a publish costs.
  maxSubscribers?: number;
  // onPublish hears every event as it is published (the daemon's log), on
  // the publisher's stack: it must be cheap and must not throw.
  onPublish?: (event: Event) => void;
}

export const DEFAULT_MAX_SUBSCRIBERS = 1024;

export class EventBus {
  // subscribers is replaced, never mutated, so a publish loop in progress
  // is not disturbed by a subscriber detaching.
  private subscribers: EventSubscription[] = [];
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  // deliveryWaiters are replays waiting for the journal to write an event.
  private deliveryWaiters: Array<{ sequence: bigint; resolve: () => void; reject: (err: unknown) => void }> = [];
  private readonly maxQueue: number;
  private readonly maxSubscribers: number;
  private readonly onPublish: ((event: Event) => void) | undefined;
  // undelivered holds, in order, the events published but not yet durable;
  // delivered is the last sequence handed to subscribers.
  private undelivered: Published[] = [];
  private undeliveredHead = 0;
  private delivered: bigint;
  readonly counters = new EventCounters();

  constructor(
    private readonly journal: EventJournal,
    options: EventBusOptions = {},
  ) {
    this.maxQueue = checkMaxQueue(options.maxQueue ?? 4096);
    this.maxSubscribers = options.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS;
    this.onPublish = options.onPublish;
    this.delivered = journal.lastSequence();
    journal.onWritten((sequence) => this.deliverThrough(sequence));
  }

  // open starts a bus over the journal in dir (`<stateDir>/events`).
  static async open(dir: string, options: EventBusOptions & EventJournalOptions = {}): Promise<EventBus> {
    return new EventBus(await EventJournal.open(dir, options), options);
  }

  lastSequence(): bigint {
    return this.journal.lastSequence();
  }

  oldestSequence(): bigint {
    return this.journal.oldestSequence();
  }

  get subscriberCount(): number {
    return this.subscribers.length;
  }

  // publish stamps the next sequence and the time on an event, records it
  // and offers it to every subscriber, all synchronously.
  publish(input: PublishInput): Event {
    if (this.closing !== undefined) throw failedPrecondition("cannot publish on a closed event bus");
    if (!(input.type in EventType) || input.type === EventType.UNSPECIFIED) throw invalidArgument(`unknown event type ${input.type}`);
    // Only a network's own events (create, remove) and image events concern
    // no container; an image event always names its image.
    if (isImageEvent(input.type)) {
      if (input.containerId !== "" || !input.image) throw invalidArgument("an image event needs an image and no container");
    } else if (input.containerId === "" && input.type !== EventType.NETWORK_CREATE && input.type !== EventType.NETWORK_REMOVE) {
      throw invalidArgument("an event needs a container id");
    }
    const ms = Date.now();
    const event = create(EventSchema, {
      sequence: this.journal.lastSequence() + 1n,
      namespace: input.namespace,
      containerId: input.containerId,
      processId: input.processId,
      type: input.type,
      pid: input.pid ?? 0,
      exitCode: input.exitCode ?? 0,
      oomKilled: input.oomKilled ?? false,
      monitorDied: input.monitorDied ?? false,
      revision: input.revision ?? 0n,
      hookStage: input.hookStage ?? "",
      hookMessage: input.hookMessage ?? "",
      network: input.network ?? "",
      address: input.address ?? "",
      image: input.image ?? "",
      imageId: input.imageId ?? "",
      timestamp: timestampFromMs(ms),
    });
    this.journal.append(event);
    this.counters.published(input.type, input.monitorDied === true);
    this.undelivered.push({ event, ms });
    this.onPublish?.(event);
    return event;
  }

  // flush resolves once every event published so far is durable and has
  // been offered to the subscribers.
  flush(): Promise<void> {
    return this.journal.flush();
  }

  // history reads the durable events after a sequence that pass filter, for
  // restore to learn what was published before a crash.
  history(afterSequence: bigint, filter: (event: Event) => boolean): AsyncIterable<Event> {
    const from = afterSequence < this.oldestSequence() - 1n ? this.oldestSequence() - 1n : afterSequence;
    return this.durableRead(from, filter);
  }

  // durableRead reads the journal like journal.read, but hands out each
  // event only once it is durable (and so offered to live subscribers).
  private async *durableRead(from: bigint, filter: (event: Event) => boolean): AsyncGenerator<Event, void, undefined> {
    for await (const event of this.journal.read(from, filter)) {
      // A journal that cannot write yet (a full disk) retries by itself: the
      // reader waits for it, as a live subscriber does, rather than failing.
      if (event.sequence > this.delivered) await this.journal.flush().catch(() => this.deliveredThrough(event.sequence));
      yield event;
    }
  }

  // deliveredThrough resolves once the events up to sequence are durable
  // and offered to the subscribers; a bus that closes first fails it.
  private deliveredThrough(sequence: bigint): Promise<void> {
    if (this.delivered >= sequence) return Promise.resolve();
    if (this.closing !== undefined) return Promise.reject(failedPrecondition("the event bus closed before the journal could write its events"));
    return new Promise((resolve, reject) => this.deliveryWaiters.push({ sequence, resolve, reject }));
  }

  // deliverThrough offers the events up to sequence, now durable, to every
  // subscriber, in order.
  private deliverThrough(sequence: bigint): void {
    const items = this.undelivered;
    let head = this.undeliveredHead;
    if (head < items.length && items[head]!.event.sequence <= sequence) {
      for (const subscription of this.subscribers) subscription.beginBurst();
    }
    while (head < items.length && items[head]!.event.sequence <= sequence) {
      const { event, ms } = items[head++]!;
      this.delivered = event.sequence;
      const subscribers = this.subscribers;
      for (let i = 0; i < subscribers.length; i++) subscribers[i]!.offer(event, ms);
    }
    if (this.deliveryWaiters.length > 0) {
      const due = this.deliveryWaiters.filter((w) => w.sequence <= this.delivered);
      this.deliveryWaiters = this.deliveryWaiters.filter((w) => w.sequence > this.delivered);
      for (const w of due) w.resolve();
    }
    if (head === items.length) {
      this.undelivered = [];
      this.undeliveredHead = 0;
    } else {
      this.undeliveredHead = head;
      if (head >= 1024 && head * 2 >= items.length) {
        this.undelivered = items.slice(head);
        this.undeliveredHead = 0;
      }
    }
  }

  // subscribe streams matching events: the held ones after sinceSequence (or
  // from the since time) first, then live ones. It throws OUT_OF_RANGE when
  // sinceSequence is older than the journal holds or newer than the last.
  // Every subscriber gets the same Event objects: treat them as read-only.
  subscribe(options: SubscribeOptions = {}): EventStream {
    if (this.closing !== undefined) throw failedPrecondition("cannot subscribe to a closed event bus");
    if (this.subscribers.length >= this.maxSubscribers) {
      throw resourceExhausted(
        `the daemon serves ${this.subscribers.length} event subscriptions, its limit (maxEventSubscribers ${this.maxSubscribers}): end one first, or raise the limit`,
      );
    }
    const matches = eventFilter(options);
    const after = this.replayStart(options);
    const untilMs = options.until?.getTime() ?? Infinity;
    if (Number.isNaN(untilMs)) throw invalidArgument("until is not a valid time");
    const subscription = new EventSubscription({
      matches,
      after,
      // The journal is read only from the first next(), after the
      // subscription is registered below: that order is what closes the seam.
      // Both hand out only durable events.
      replay: after < this.journal.lastSequence(),
      read: (from) => this.durableRead(from, matches),
      untilMs,
      maxQueue: options.maxQueue === undefined ? this.maxQueue : checkMaxQueue(options.maxQueue),
      signal: options.signal,
      detach: (s) => {
        this.subscribers = this.subscribers.filter((x) => x !== s);
        this.checkIdle();
      },
      drained: () => this.checkIdle(),
      counters: this.counters,
    });
    this.subscribers = [...this.subscribers, subscription];
    subscription.start();
    return subscription;
  }

  // waitIdle resolves once the journal has written every event published so
  // far and every subscriber has taken everything queued for it. A stuck
  // subscriber keeps it waiting: bound it with your own deadline.
  async waitIdle(): Promise<void> {
    await this.journal.flush();
    while (!this.subscribers.every((s) => s.idle())) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  // close refuses new events, lets each subscriber finish what is queued
  // for it and closes the journal. Call waitIdle first for a drained stop.
  close(): Promise<void> {
    if (this.closing === undefined) {
      // Closing the journal writes what is queued, which delivers it; only
      // then do the subscriptions end.
      const closing = this.journal.close();
      this.closing = closing.finally(() => {
        const waiters = this.deliveryWaiters;
        this.deliveryWaiters = [];
        for (const w of waiters) w.reject(failedPrecondition("the event bus closed before the journal could write its events"));
        for (const subscription of this.subscribers) subscription.end();
      });
    }
    return this.closing;
  }

  private replayStart(options: SubscribeOptions): bigint {
    const last = this.journal.lastSequence();
    const oldest = this.journal.oldestSequence();
    const since = options.sinceSequence;
    if (since === undefined) {
      // A since time still ahead matches nothing held, so there is nothing to replay.
      return options.since === undefined || options.since.getTime() > Date.now() ? last : oldest - 1n;
    }
    if (since < 0n) throw invalidArgument("since_sequence must not be negative");
    if (since < oldest - 1n) {
      throw new BerthError(
        "out_of_range",
        `cannot resume after sequence ${since}: oldest held sequence is ${oldest}; resubscribe with since_sequence ${oldest - 1n} or later`,
      );
    }
    if (since > last) {
      throw new BerthError("out_of_range", `cannot resume after sequence ${since}: the last sequence is ${last}`);
    }
    return since;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

interface Published {
  event: Event;
  // ms is when the event was published, for subscribers' until.
  ms: number;
}

function checkMaxQueue(maxQueue: number): number {
  if (!Number.isSafeInteger(maxQueue) || maxQueue < 1) throw invalidArgument("maxQueue must be a positive integer");
  return maxQueue;
}
