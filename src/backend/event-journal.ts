// EventJournal is the daemon's bounded, durable record of events: segment
// files of JSON lines under one directory, the oldest segment dropped once
// the total passes a limit, and a ring of the newest events in memory.
//
// append() is synchronous and never waits for the disk: events queue in
// memory and a short timer writes them as one batch (one write and one
// fsync per segment touched, not per event). flush() and close() write what
// is queued. The sequence bookkeeping (segments, oldest, last) is updated
// synchronously in append(), so oldestSequence() and lastSequence() are exact
// at every moment even while a batch is still being written.
import type { Event } from "../gen/berth/v1/types_pb.js";
import { BerthError, failedPrecondition, internal } from "../errors/berth-error.js";
import { encodeEventLine } from "./event-codec.js";
import { EventRing } from "./event-ring.js";
import { journalSettings, type EventJournalOptions, type EventJournalSettings } from "./event-journal-options.js";
import { readSegment, segmentPath, type Segment } from "./journal-segment.js";
import { recoverSegments } from "./recover-segments.js";
import { SegmentWriter } from "./segment-writer.js";

const MAX_RETRY_MS = 1000;

export type { EventJournalOptions };

export class EventJournal {
  // segments lists the held segments, oldest first; the last one takes appends.
  private readonly segments: Segment[];
  private held: number;
  private last: bigint;
  // written is the last sequence on disk (or dropped before it got there);
  // durable is the last one synced (or dropped), which a crash cannot undo.
  private written: bigint;
  private durable: bigint;
  private pending: Event[] = [];
  private dropped: bigint[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = 0;
  private closed = false;
  private readonly ring: EventRing;
  // durableListener hears how far events are durable: after a batch is
  // synced, or when a stalled disk made events drop unwritten.
  private durableListener: ((sequence: bigint) => void) | undefined;

  private constructor(
    private readonly dir: string,
    private readonly options: EventJournalSettings,
    segments: Segment[],
    tail: Event[],
    private readonly writer: SegmentWriter,
  ) {
    this.segments = segments;
    this.held = segments.reduce((n, s) => n + s.count, 0);
    const newest = segments.at(-1);
    this.last = newest === undefined ? 0n : newest.first + BigInt(newest.count) - 1n;
    this.written = this.last;
    this.durable = this.last;
    this.ring = new EventRing(options.tailEvents);
    for (const event of tail) this.ring.put(event);
  }

  // open recovers the journal in dir (creating it if needed). Sequences
  // continue from the last complete record on disk; a torn record at the end
  // of the newest segment, left by a crash mid-write, is cut off.
  static async open(dir: string, options: EventJournalOptions = {}): Promise<EventJournal> {
    const settings = journalSettings(options);
    const { segments, tail } = await recoverSegments(dir, settings.tailEvents, settings.logger);
    const writer = new SegmentWriter(dir, settings.fsync);
    const journal = new EventJournal(dir, settings, segments, tail, writer);
    // A smaller maxEvents than the last run used takes effect at once.
    journal.trim();
    for (const first of journal.dropped.splice(0)) await writer.remove(first);
    return journal;
  }

  lastSequence(): bigint {
    return this.last;
  }

  // onWritten sets the one listener told, synchronously and in order, how
  // far the events are durable (synced, or dropped unwritten by a stalled
  // disk, which no crash can change either).
  onWritten(listener: (sequence: bigint) => void): void {
    this.durableListener = listener;
  }

  // oldestSequence is the first sequence still held; one past lastSequence()
  // when nothing is held yet.
  oldestSequence(): bigint {
    const oldest = this.segments[0];
    return oldest === undefined || this.held === 0 ? this.last + 1n : oldest.first;
  }

  // append records the next event. Its sequence must be lastSequence() + 1:
  // anything else is a bug in the caller, not a runtime condition.
  append(event: Event): void {
    if (this.closed) throw failedPrecondition("cannot append to a closed event journal");
    if (event.sequence !== this.last + 1n) {
      throw internal(`event journal expected sequence ${this.last + 1n}, got ${event.sequence}`);
    }
    let current = this.segments.at(-1);
    if (current === undefined || current.count >= this.options.segmentEvents) {
      current = { first: event.sequence, count: 0 };
      this.segments.push(current);
    }
    current.count++;
    this.held++;
    this.last = event.sequence;
    this.ring.put(event);
    this.pending.push(event);
    this.trim();
    this.wake(this.options.flushIntervalMs);
  }

  // read yields the held events after fromSequenceExclusive that pass
  // filter, in order, up to the newest one appended while reading. It throws
  // OUT_OF_RANGE if the events it needs are dropped before it reaches them.
  async *read(fromSequenceExclusive: bigint, filter?: (event: Event) => boolean): AsyncGenerator<Event, void, undefined> {
    let next = fromSequenceExclusive + 1n;
    while (next <= this.last) {
      const event = this.ring.get(next);
      if (event !== undefined) {
        next++;
        if (filter === undefined || filter(event)) yield event;
        continue;
      }
      for (const older of await this.readFromDisk(next)) {
        next = older.sequence + 1n;
        if (filter === undefined || filter(older)) yield older;
      }
    }
  }

  // flush resolves once every event appended before the call is written
  // and synced, and rejects with the write error if an attempt it made
  // failed. An attempt already in flight when it was called may have begun
  // before the disk had room again; its failure only makes flush try anew.
  async flush(): Promise<void> {
    const target = this.last;
    while (this.durable < target) {
      if (this.pending.length === 0 && this.writing === undefined && this.written < target) throw internal(`event journal lost track of sequences after ${this.written}`);
      const joined = this.writing !== undefined;
      try {
        await this.drain();
      } catch (err) {
        if (!joined) throw err;
      }
    }
  }

  // close writes what is queued and releases the files. Reads still work.
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.flush();
    } finally {
      await this.writer.close();
    }
  }

  // trim drops whole segments, oldest first, while more than maxEvents are
  // held; the newest segment always stays so the last sequence survives.
  // Queued events of a dropped segment are dropped too, so a stalled disk
  // cannot make the queue outgrow the bound.
  private trim(): void {
    if (this.held <= this.options.maxEvents || this.segments.length < 2) return;
    while (this.held > this.options.maxEvents && this.segments.length > 1) {
      const oldest = this.segments.shift()!;
      this.held -= oldest.count;
      this.dropped.push(oldest.first);
    }
    const keep = this.pending.findIndex((e) => e.sequence >= this.segments[0]!.first);
    const gone = this.pending.splice(0, keep < 0 ? this.pending.length : keep);
    const newestGone = gone.at(-1);
    if (newestGone !== undefined && newestGone.sequence > this.written) {
      this.written = newestGone.sequence;
      this.advanceDurable(newestGone.sequence);
    }
  }

  private advanceDurable(sequence: bigint): void {
    if (sequence <= this.durable) return;
    this.durable = sequence;
    this.durableListener?.(sequence);
  }

  private async readFromDisk(next: bigint): Promise<Event[]> {
    // Only wait for the writer when the event is not on disk yet; the reader
    // takes whatever complete records follow it.
    if (this.written < next) await this.flush();
    const index = this.segments.findLastIndex((s) => s.first <= next);
    if (next < this.oldestSequence() || index < 0) throw tooOld(next, this.oldestSequence());
    const first = this.segments[index]!.first;
    let events: Event[];
    try {
      events = (await readSegment(segmentPath(this.dir, first), first)).events;
    } catch (err) {
      if (next < this.oldestSequence()) throw tooOld(next, this.oldestSequence());
      throw internal(`cannot read event journal segment ${first}: ${(err as Error).message}`, err);
    }
    const from = events.findIndex((e) => e.sequence === next);
    if (from < 0) throw internal(`event journal segment ${first} does not hold sequence ${next}`);
    return events.slice(from);
  }

  private drain(): Promise<void> {
    if (this.writing !== undefined) return this.writing;
    const writing = this.writeBatch().catch((err: unknown) => {
      throw writeError(this.dir, err);
    });
    this.writing = writing;
    writing.then(
      () => {
        this.writing = undefined;
        this.retryMs = 0;
        this.wake(this.options.flushIntervalMs);
      },
      () => {
        this.writing = undefined;
        this.retryMs = Math.min(Math.max(this.retryMs * 2, this.options.flushIntervalMs, 10), MAX_RETRY_MS);
        this.wake(this.retryMs);
      },
    );
    return writing;
  }

  // wake arms the flush timer when events wait to be written or synced and
  // nothing else will do it.
  private wake(delayMs: number): void {
    const idle = this.pending.length === 0 && this.durable >= this.written;
    if (idle || this.timer !== undefined || this.writing !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain().catch((err: unknown) => this.options.logger.error("event journal: write failed, will retry:", err));
    }, delayMs);
    // The journal alone must not keep the process alive; close() flushes.
    this.timer.unref();
  }

  // writeBatch writes the queued events, one chunk per segment, then syncs
  // and removes dropped segments. If a chunk fails, it and the chunks after
  // it go back to the front of the queue and the next attempt rewrites them
  // in place.
  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    // Appends during the awaits below may add and drop segments, so chunk
    // boundaries come from a snapshot.
    const firsts = this.segments.map((s) => s.first);
    const oldest = this.oldestSequence();
    let start = 0;
    while (start < batch.length && batch[start]!.sequence < oldest) start++;
    try {
      while (start < batch.length) {
        const sequence = batch[start]!.sequence;
        const segment = firsts.findLastIndex((first) => first <= sequence);
        const bound = firsts[segment + 1];
        let end = start;
        let text = "";
        while (end < batch.length && (bound === undefined || batch[end]!.sequence < bound)) text += encodeEventLine(batch[end++]!);
        await this.writer.append(firsts[segment]!, Buffer.from(text));
        start = end;
      }
    } catch (err) {
      this.pending = batch.slice(start).concat(this.pending);
      throw err;
    }
    const newest = batch.at(-1);
    if (newest !== undefined && newest.sequence > this.written) this.written = newest.sequence;
    // A batch is durable only once synced (an earlier sync that failed is
    // retried here): a listener that hands events on after this never shows
    // anyone an event a crash could still take back.
    if (this.durable < this.written) {
      const synced = this.written;
      await this.writer.sync();
      this.advanceDurable(synced);
    }
    while (this.dropped.length > 0) {
      await this.writer.remove(this.dropped[0]!);
      this.dropped.shift();
    }
  }
}

// writeError says what to do about a failed write: a full disk is the
// operator's to fix, and nothing is lost meanwhile.
function writeError(dir: string, err: unknown): BerthError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new BerthError(
      "resource_exhausted",
      `cannot write the event journal in ${dir}: ${code === "ENOSPC" ? "no space left on its disk" : "disk quota exceeded"}; free space there (events wait in memory and are written once it can)`,
      { cause: err },
    );
  }
  return BerthError.from(err);
}

function tooOld(next: bigint, oldest: bigint): BerthError {
  return new BerthError("out_of_range", `cannot replay from sequence ${next - 1n}: oldest held sequence is ${oldest}`);
}
