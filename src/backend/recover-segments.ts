// recoverSegments rebuilds the journal's bookkeeping from the files in dir
// after a restart or crash.
import { mkdir, truncate } from "node:fs/promises";
import type { Event } from "../gen/berth/v1/types_pb.js";
import { listSegments, readSegment, segmentPath, type Segment } from "./journal-segment.js";

export interface RecoveredSegments {
  segments: Segment[];
  // tail is the newest events, to refill the in-memory ring.
  tail: Event[];
}

// Only the newest segment is read: sequences are contiguous, so every older
// segment's count is the gap to the next one's name. A torn record at the
// end of the newest segment (a crash mid-write) is cut off, so the next
// append does not land behind half a line.
export async function recoverSegments(dir: string, tailEvents: number, logger: Pick<Console, "warn">): Promise<RecoveredSegments> {
  await mkdir(dir, { recursive: true });
  const firsts = await listSegments(dir);
  const segments = firsts.map((first, i) => ({ first, count: i + 1 < firsts.length ? Number(firsts[i + 1]! - first) : 0 }));
  const newest = segments.at(-1);
  if (newest === undefined) return { segments, tail: [] };
  const path = segmentPath(dir, newest.first);
  const contents = await readSegment(path, newest.first);
  newest.count = contents.events.length;
  if (contents.validBytes < contents.size) {
    await truncate(path, contents.validBytes);
    logger.warn(`event journal: cut ${contents.size - contents.validBytes} bytes of a torn record from ${path}`);
  }
  return { segments, tail: contents.events.slice(-tailEvents) };
}
