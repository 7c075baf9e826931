// EventRing holds the newest events in memory, addressed by sequence, so a
// replay near the head of the journal never touches the disk.
import type { Event } from "../gen/berth/v1/types_pb.js";

export class EventRing {
  private readonly slots: (Event | undefined)[];

  constructor(readonly capacity: number) {
    this.slots = new Array<Event | undefined>(capacity).fill(undefined);
  }

  // put stores an event, evicting the one capacity sequences older.
  put(event: Event): void {
    this.slots[Number(event.sequence) % this.capacity] = event;
  }

  // get returns the event with this sequence if the ring still holds it.
  // The sequence check catches a slot since reused by a newer event.
  get(sequence: bigint): Event | undefined {
    const event = this.slots[Number(sequence) % this.capacity];
    return event !== undefined && event.sequence === sequence ? event : undefined;
  }
}
