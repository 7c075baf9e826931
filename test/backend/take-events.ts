// Helpers that read streams and wait for conditions with a deadline, so a
// broken test fails with a message instead of hanging.
import type { Event } from "../../src/gen/berth/v1/types_pb.js";

// takeEvents reads count events, or until the stream ends if count is
// Infinity, failing if that takes longer than timeoutMs.
export async function takeEvents(stream: AsyncIterable<Event>, count: number, timeoutMs = 5000): Promise<Event[]> {
  const events: Event[] = [];
  const iterator = stream[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took ${events.length} of ${count} events in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    while (events.length < count) {
      const result = await Promise.race([iterator.next(), deadline]);
      if (result.done === true) break;
      events.push(result.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

// waitFor polls condition until it holds, failing after timeoutMs.
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

// sequencesOf lists events' sequences as numbers, for readable assertions.
export function sequencesOf(events: readonly Event[]): number[] {
  return events.map((e) => Number(e.sequence));
}

// range lists from..to inclusive.
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
