import { create, fromJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

import { decodeEventLine, encodeEventLine } from "../../src/backend/event-codec.js";
import { EventSchema, EventType } from "../../src/gen/berth/v1/types_pb.js";

const event = (revision: bigint) =>
  create(EventSchema, { sequence: 12n, namespace: "ns", containerId: "c1", processId: "init", type: EventType.EXIT, pid: 7, exitCode: 3, revision, timestamp: { seconds: 1_700_000_000n, nanos: 5_000_000 } });

describe("the journal's line format", () => {
  it("carries an event's revision, readable as proto3 JSON", () => {
    const line = encodeEventLine(event(2n ** 63n));
    expect(decodeEventLine(line.trimEnd())).toEqual(event(2n ** 63n));
    expect(fromJsonString(EventSchema, line)).toEqual(event(2n ** 63n));
  });

  it("reads lines written before events had revisions as revision 0, and writes none for 0", () => {
    // The line of an event without a revision is the line older daemons wrote.
    const old = encodeEventLine(event(0n));
    expect(old).not.toContain("revision");
    expect(decodeEventLine(old.trimEnd())?.revision).toBe(0n);
  });

  it("refuses a revision that is not a decimal string, as a torn line", () => {
    expect(decodeEventLine(encodeEventLine(event(5n)).replace('"revision":"5"', '"revision":5').trimEnd())).toBeUndefined();
  });

  it("carries a hook-failed event's stage and message (quotes, newlines and all), and writes neither for other events", () => {
    const failed = create(EventSchema, { ...event(4n), type: EventType.HOOK_FAILED, exitCode: 0, hookStage: "poststop", hookMessage: 'poststop hook #0 "/x" exited with code 3; stderr: a\nb' });
    const line = encodeEventLine(failed);
    expect(decodeEventLine(line.trimEnd())).toEqual(failed);
    expect(fromJsonString(EventSchema, line)).toEqual(failed);
    expect(encodeEventLine(event(1n))).not.toContain("hook");
    expect(decodeEventLine(line.replace('"hookStage":"poststop"', '"hookStage":7').trimEnd())).toBeUndefined();
  });
});
