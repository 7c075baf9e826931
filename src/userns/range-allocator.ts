// RangeAllocator hands out disjoint blocks of the daemon's subordinate
// range, one per container (its owner key), lowest free block first, as
// containers/storage's getAutoUserNS picks the first free gap. Blocks held
// by containers on disk are reserved before any is handed out, so a
// daemon started again never gives a running container's ids to another.
import { invalidArgument, resourceExhausted } from "../errors/berth-error.js";
import type { SubordinateRange } from "./subordinate-range.js";

export interface Block {
  start: number;
  size: number;
}

export class RangeAllocator {
  // blocks by owner; few enough (one per container) to scan.
  private readonly blocks = new Map<string, Block>();

  constructor(readonly range: SubordinateRange) {}

  // reserve records a block a container already holds (from its record).
  // A block outside the range (the setting changed) is still kept apart.
  reserve(owner: string, block: Block): void {
    this.blocks.set(owner, { ...block });
  }

  // allocate gives owner the lowest free block of size ids.
  allocate(owner: string, size: number): Block {
    if (size > this.range.count) {
      throw invalidArgument(`security.userns.size ${size} is more than the daemon's whole subordinate range (${this.range.count} ids): ask for fewer`);
    }
    const taken = [...this.blocks.values()].sort((a, b) => a.start - b.start);
    let start = this.range.start;
    for (const b of taken) {
      if (b.start + b.size <= start) continue;
      if (b.start >= start + size) break;
      start = b.start + b.size;
    }
    if (start + size > this.range.start + this.range.count) {
      throw resourceExhausted(
        `no free block of ${size} ids is left in the subordinate range ${this.range.start}:${this.range.count} (${this.blocks.size} containers hold blocks): delete containers or widen --subuid-range`,
      );
    }
    const block = { start, size };
    this.blocks.set(owner, block);
    return block;
  }

  release(owner: string): void {
    this.blocks.delete(owner);
  }

  held(owner: string): Block | undefined {
    return this.blocks.get(owner);
  }
}
