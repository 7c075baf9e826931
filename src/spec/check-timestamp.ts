// checkTimestamp and checkTime refuse a time outside google.protobuf.Timestamp's
// range. On the wire, protobuf-es decodes any seconds and nanos, and
// timestampDate turns nanos of -1 or 2e9 into another second without a
// word; in process, a Date may be invalid or past year 9999. Either way the
// client meant no such time, so it is INVALID_ARGUMENT naming the field.
import type { Timestamp } from "@bufbuild/protobuf/wkt";

import { invalidArgument } from "../errors/berth-error.js";
import { TIMESTAMP_MAX_NANOS, TIMESTAMP_MAX_SECONDS, TIMESTAMP_MIN_SECONDS, TIMESTAMP_RANGE_TEXT } from "./request-limits.js";

// checkTimestamp throws unless ts is a Timestamp inside the range.
export function checkTimestamp(field: string, ts: Timestamp): void {
  const { seconds, nanos } = ts;
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > TIMESTAMP_MAX_NANOS) {
    throw invalidArgument(`${field}.nanos ${nanos} is out of range: give 0 to ${TIMESTAMP_MAX_NANOS} (negative times count whole seconds down, nanos up)`);
  }
  if (seconds < BigInt(TIMESTAMP_MIN_SECONDS) || seconds > BigInt(TIMESTAMP_MAX_SECONDS)) {
    throw invalidArgument(`${field}.seconds ${seconds} is out of range: give a time from ${TIMESTAMP_RANGE_TEXT} (seconds ${TIMESTAMP_MIN_SECONDS} to ${TIMESTAMP_MAX_SECONDS})`);
  }
}

// checkTime throws unless date is a valid Date inside the range.
export function checkTime(field: string, date: Date | undefined): void {
  if (date === undefined) return;
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  // The last Timestamp (…59.999999999) becomes the Date just past it, as
  // timestampDate rounds nanos up to the next millisecond.
  if (Number.isNaN(ms) || ms < TIMESTAMP_MIN_SECONDS * 1000 || ms > (TIMESTAMP_MAX_SECONDS + 1) * 1000) {
    throw invalidArgument(`${field} is out of range: give a time from ${TIMESTAMP_RANGE_TEXT}`);
  }
}
