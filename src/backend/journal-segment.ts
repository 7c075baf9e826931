// Segment files of the event journal: naming, listing and reading. A
// segment is named after the sequence of its first event, zero-padded so
// that names sort in sequence order.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Event } from "../gen/berth/v1/types_pb.js";
import { decodeEventLine } from "./event-codec.js";

const SEGMENT_NAME = /^(\d{20})\.jsonl$/;

export function segmentPath(dir: string, first: bigint): string {
  return join(dir, `${first.toString().padStart(20, "0")}.jsonl`);
}

// listSegments returns the first sequences of the segments in dir, oldest
// first. Files that are not segments are left alone.
export async function listSegments(dir: string): Promise<bigint[]> {
  const firsts: bigint[] = [];
  for (const name of await readdir(dir)) {
    const m = SEGMENT_NAME.exec(name);
    if (m !== null) firsts.push(BigInt(m[1]!));
  }
  return firsts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// Segment is the bookkeeping of one segment: its first sequence and how
// many events it holds.
export interface Segment {
  first: bigint;
  count: number;
}

export interface SegmentContents {
  events: Event[];
  // validBytes is where the trusted records end; anything after it is a
  // torn or corrupt tail.
  validBytes: number;
  size: number;
}

// readSegment decodes a segment's records in order. It stops at the first
// record that is unterminated (torn by a crash mid-write), malformed, or out
// of sequence: nothing after such a record can be trusted.
export async function readSegment(path: string, first: bigint): Promise<SegmentContents> {
  const data = await readFile(path);
  const events: Event[] = [];
  let offset = 0;
  let expected = first;
  while (offset < data.length) {
    const newline = data.indexOf(10, offset);
    if (newline < 0) break;
    const event = decodeEventLine(data.toString("utf8", offset, newline));
    if (event === undefined || event.sequence !== expected) break;
    events.push(event);
    expected++;
    offset = newline + 1;
  }
  return { events, validBytes: offset, size: data.length };
}
