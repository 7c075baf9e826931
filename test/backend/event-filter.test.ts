// eventFilter keeps exactly the types asked for, whatever their number:
// network events are numbered 30 and up, past a 32-bit mask.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

import { eventFilter } from "../../src/backend/event-filter.js";
import { EventSchema, type EventType } from "../../src/gen/berth/v1/types_pb.js";

const event = (type: number) => create(EventSchema, { type: type as EventType, namespace: "ns", containerId: "c" });

describe("eventFilter by type", () => {
  it("keeps a type numbered past 31 and nothing it aliases under a 32-bit mask", () => {
    const keep = eventFilter({ types: [32, 33] as EventType[] });
    expect(keep(event(32))).toBe(true);
    expect(keep(event(33))).toBe(true);
    // 1 << 32 === 1 << 0 and 1 << 33 === 1 << 1 in JavaScript.
    expect(keep(event(0))).toBe(false);
    expect(keep(event(1))).toBe(false);
    expect(keep(event(31))).toBe(false);
  });

  it("keeps every type when none is named", () => {
    const keep = eventFilter({});
    for (const type of [1, 11, 12, 30, 31, 33]) expect(keep(event(type))).toBe(true);
  });
});
