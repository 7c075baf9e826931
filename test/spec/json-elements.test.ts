// checkJsonElements counts a JSON request's elements on its text, before
// anything parses it: never fewer than the decoder would meet, with an
// object member costing three (as a map entry does on the wire), and
// nothing inside strings.
import { describe, expect, it } from "vitest";

import { CreateRequestSchema } from "../../src/gen/berth/v1/containers_pb.js";
import { checkJsonElements } from "../../src/spec/request-elements.js";

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

  it("refuses a large list at once, naming the bound", () => {
    const env = Array.from({ length: 70_000 }, () => "a=b");
    expect(() => checkJsonElements(CreateRequestSchema, bytes({ process: { env } }))).toThrow(/CreateRequest holds more than 65536 fields and list entries/);
  });
});
