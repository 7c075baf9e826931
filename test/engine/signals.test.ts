import { describe, expect, it } from "vitest";

import { parseSignal } from "../../src/engine/signals.js";

describe("parseSignal", () => {
  it.each([
    [9, 9],
    ["9", 9],
    ["KILL", 9],
    ["SIGKILL", 9],
    ["sigterm", 15],
    ["term", 15],
    [" USR1 ", 10],
  ])("reads %j as %d", (input, expected) => expect(parseSignal(input)).toBe(expected));

  it.each([["SIGNOPE"], [0], [65], ["-1"], [1.5], [""]])("rejects %j with INVALID_ARGUMENT", (input) => {
    expect(() => parseSignal(input)).toThrowError(expect.objectContaining({ code: "invalid_argument" }));
  });
});
