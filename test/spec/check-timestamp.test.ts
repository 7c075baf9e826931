// Times in requests lie in google.protobuf.Timestamp's range, on the wire
// (checkTimestamp) and in process (checkTime, for LocalClient's Dates).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";

import { checkTime, checkTimestamp } from "../../src/spec/check-timestamp.js";
import { TIMESTAMP_MAX_SECONDS, TIMESTAMP_MIN_SECONDS } from "../../src/spec/request-limits.js";

const ts = (seconds: number | bigint, nanos: number) => ({ $typeName: "google.protobuf.Timestamp" as const, seconds: BigInt(seconds), nanos });
const messageOf = (f: () => void) => {
  try {
    f();
    return "OK";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("checkTimestamp", () => {
  it("takes the range's ends", () => {
    expect(messageOf(() => checkTimestamp("since", ts(TIMESTAMP_MIN_SECONDS, 0)))).toBe("OK");
    expect(messageOf(() => checkTimestamp("until", ts(TIMESTAMP_MAX_SECONDS, 999_999_999)))).toBe("OK");
  });

  it("refuses nanos outside 0..999999999 and seconds outside years 1 to 9999, naming the field", () => {
    expect(messageOf(() => checkTimestamp("since", ts(0, -1)))).toMatch(/^since\.nanos -1 is out of range: give 0 to 999999999/);
    expect(messageOf(() => checkTimestamp("until", ts(0, 1e9)))).toMatch(/^until\.nanos 1000000000 is out of range/);
    expect(messageOf(() => checkTimestamp("since", ts(TIMESTAMP_MIN_SECONDS - 1, 0)))).toMatch(
      /^since\.seconds -62135596801 is out of range: give a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z/,
    );
    expect(messageOf(() => checkTimestamp("until", ts(2n ** 62n, 0)))).toMatch(/^until\.seconds 4611686018427387904 is out of range/);
  });
});

describe("checkTime", () => {
  it("takes every Date a valid Timestamp becomes", () => {
    expect(messageOf(() => checkTime("since", timestampDate(ts(TIMESTAMP_MIN_SECONDS, 0))))).toBe("OK");
    expect(messageOf(() => checkTime("until", timestampDate(ts(TIMESTAMP_MAX_SECONDS, 999_999_999))))).toBe("OK");
    expect(messageOf(() => checkTime("since", undefined))).toBe("OK");
  });

  it("refuses an invalid Date and one past year 9999 or before year 1", () => {
    expect(messageOf(() => checkTime("since", new Date(Number.NaN)))).toMatch(/^since is out of range: give a time from 0001-01-01/);
    expect(messageOf(() => checkTime("until", new Date("+010000-01-02T00:00:00Z")))).toMatch(/^until is out of range/);
    expect(messageOf(() => checkTime("since", new Date("-000001-01-01T00:00:00Z")))).toMatch(/^since is out of range/);
  });
});
