// EventQueue is a subscriber's FIFO of events waiting to be handed out:
// take() is O(1) and the array is reused rather than shifted.
import type { Event } from "../gen/berth/v1/types_pb.js";

// A consumer that never quite catches up never empties the queue, so the
// handed-out prefix is cut off once it is this long and half the array.
const COMPACT_AT = 1024;

export class EventQueue {
  private items: Event[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(event: Event): void {
    this.items.push(event);
  }

  // take removes and returns the oldest event; the caller checks size first.
  take(): Event {
    const event = this.items[this.head++]!;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return event;
  }

  // dropThrough discards the leading events up to and including sequence.
  dropThrough(sequence: bigint): void {
    while (this.size > 0 && this.items[this.head]!.sequence <= sequence) this.take();
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
