// checkJsonElements counts a JSON request's elements on its text, before
// anything parses it: never fewer than the decoder would meet, with an
// object member costing three (as a map entry does on the wire), and
// nothing inside strings.
import { describe, expect, it } from "vitest";

import { create, toBinary } from "@bufbuild/protobuf";

import { CreateRequestSchema, ListRequestSchema } from "../../src/gen/berth/v1/containers_pb.js";
import { SubscribeRequestSchema } from "../../src/gen/berth/v1/events_pb.js";
import { checkJsonElements, checkRequestElements } from "../../src/spec/request-elements.js";
import { FILTER_ENUMS_MAX_ENTRIES, FILTER_IDS_MAX_ENTRIES, LABELS_MAX_ENTRIES, REPEATED_MAX_ENTRIES, REQUEST_MAX_ELEMENTS } from "../../src/spec/request-limits.js";

const bytes = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
const passes = (value: unknown, max: number) => {
  try {
    checkJsonElements(CreateRequestSchema, bytes(value), max);
    return true;
  } catch {
    return false;
  }
};

describe("checkJsonElements", () => {
  it("counts list entries once and object members three times", () => {
    // { (1) "args": (2) [ (1) 3 entries, 2 commas
    const value = { args: ["a", "b", "c"] };
    expect(passes(value, 6)).toBe(true);
    expect(passes(value, 5)).toBe(false);
  });

  it("ignores commas, colons and brackets inside strings, escaped quotes included", () => {
    const value = { id: 'a,b:c[d{e\\",f' };
    // { (1) "id": (2)
    expect(passes(value, 3)).toBe(true);
    expect(passes(value, 2)).toBe(false);
  });

  it("ends a string at a quote after an even run of backslashes", () => {
    // "a\\" ends at its quote: { (1) "id": (2) , (1) "args": (2) [ (1) , (1)
    const value = { id: "a\\", args: ["x", "y"] };
    expect(passes(value, 8)).toBe(true);
    expect(passes(value, 7)).toBe(false);
  });

  it("refuses many lists that together pass the element budget, naming it", () => {
    // Each list under the largest field bound, together past the budget.
    const list = Array.from({ length: 16_000 }, () => 1);
    const value = { x: [list, list, list, list, list] };
    expect(() => checkJsonElements(CreateRequestSchema, bytes(value))).toThrow(new RegExp(`CreateRequest holds more than ${REQUEST_MAX_ELEMENTS} fields`));
  });
});

// One array or object past the largest bound any repeated or map field has,
// or a top-level field past its own bound, is refused on the raw bytes: a
// body under the element budget could otherwise hold 21,000 labels, which
// fromJson spends 150 ms on before the 128-label bound is checked.
describe("checkJsonElements, each list and object", () => {
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));

  it("refuses Create labels past their bound, naming the field", () => {
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ id: "a", labels: many(LABELS_MAX_ENTRIES) }))).not.toThrow();
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ id: "a", labels: many(LABELS_MAX_ENTRIES + 1) }))).toThrow(`labels has ${LABELS_MAX_ENTRIES + 1} entries, over the limit of ${LABELS_MAX_ENTRIES}`);
    // The 21,000-label body of the finding: under the element budget.
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ id: "a", labels: many(21_000) }))).toThrow(`labels has 21000 entries, over the limit of ${LABELS_MAX_ENTRIES}`);
  });

  it("knows a field by its proto name as well as its JSON name", () => {
    const ids = Array.from({ length: FILTER_IDS_MAX_ENTRIES + 1 }, () => "a");
    expect(() => checkJsonElements(SubscribeRequestSchema, bytes({ containerIds: ids }))).toThrow(`container_ids has ${FILTER_IDS_MAX_ENTRIES + 1} entries, over the limit of ${FILTER_IDS_MAX_ENTRIES}`);
    expect(() => checkJsonElements(SubscribeRequestSchema, bytes({ container_ids: ids }))).toThrow(`container_ids has ${FILTER_IDS_MAX_ENTRIES + 1} entries, over the limit of ${FILTER_IDS_MAX_ENTRIES}`);
    expect(() => checkJsonElements(SubscribeRequestSchema, bytes({ container_ids: ids.slice(1) }))).not.toThrow();
  });

  it("reads a field name written with escapes as the parser will", () => {
    const body = JSON.stringify({ id: "a", labels: many(LABELS_MAX_ENTRIES + 1) }).replace('"labels"', '"lab\\u0065ls"');
    expect(body).toContain("lab\\u0065ls");
    expect(() => checkJsonElements(CreateRequestSchema, bytes(body))).toThrow(`labels has ${LABELS_MAX_ENTRIES + 1} entries, over the limit of ${LABELS_MAX_ENTRIES}`);
  });

  it("judges a bounded value the body ends inside", () => {
    const body = JSON.stringify({ id: "a", labels: many(LABELS_MAX_ENTRIES + 1) }).slice(0, -2);
    expect(() => checkJsonElements(CreateRequestSchema, bytes(body))).toThrow(`labels has ${LABELS_MAX_ENTRIES + 1} entries`);
  });

  it("applies a field's bound only to that field's own value", () => {
    // labels inside process is no field of CreateRequest's top level.
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ process: { labels: many(200) } }))).not.toThrow();
    // Nor does a string that reads "labels" make a key of a value.
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ hostname: "labels", mounts: [] }))).not.toThrow();
  });

  it("refuses any list or object past the largest field bound, at any depth", () => {
    const list = Array.from({ length: REPEATED_MAX_ENTRIES }, () => "a=b");
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ process: { env: list } }))).not.toThrow();
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ process: { env: [...list, "c=d"] } }))).toThrow(`more than ${REPEATED_MAX_ENTRIES} entries`);
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ x: { y: many(REPEATED_MAX_ENTRIES + 1) } }))).toThrow(`more than ${REPEATED_MAX_ENTRIES} entries`);
  });
});

describe("checkRequestElements, top-level fields with a bound", () => {
  const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));

  it("refuses Create labels past their bound before decoding", () => {
    const ok = toBinary(CreateRequestSchema, create(CreateRequestSchema, { id: "a", labels: labels(LABELS_MAX_ENTRIES) }));
    const over = toBinary(CreateRequestSchema, create(CreateRequestSchema, { id: "a", labels: labels(LABELS_MAX_ENTRIES + 1) }));
    expect(() => checkRequestElements(CreateRequestSchema, ok)).not.toThrow();
    expect(() => checkRequestElements(CreateRequestSchema, over)).toThrow(`labels has ${LABELS_MAX_ENTRIES + 1} entries, over the limit of ${LABELS_MAX_ENTRIES}`);
  });

  it("counts a packed list's entries exactly", () => {
    const ok = toBinary(ListRequestSchema, create(ListRequestSchema, { statuses: Array.from({ length: FILTER_ENUMS_MAX_ENTRIES }, () => 2) }));
    const over = toBinary(ListRequestSchema, create(ListRequestSchema, { statuses: Array.from({ length: FILTER_ENUMS_MAX_ENTRIES + 1 }, () => 2) }));
    expect(() => checkRequestElements(ListRequestSchema, ok)).not.toThrow();
    expect(() => checkRequestElements(ListRequestSchema, over)).toThrow(`statuses has ${FILTER_ENUMS_MAX_ENTRIES + 1} entries, over the limit of ${FILTER_ENUMS_MAX_ENTRIES}`);
  });

  it("refuses Subscribe container ids past their bound", () => {
    const over = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { containerIds: Array.from({ length: FILTER_IDS_MAX_ENTRIES + 1 }, () => "a") }));
    expect(() => checkRequestElements(SubscribeRequestSchema, over)).toThrow(`container_ids has ${FILTER_IDS_MAX_ENTRIES + 1} entries, over the limit of ${FILTER_IDS_MAX_ENTRIES}`);
  });
});
