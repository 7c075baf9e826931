import { describe, expect, it } from "vitest";

import { parseMemTotal } from "../../src/host/meminfo.js";

const MEMINFO = `MemTotal:       16318420 kB
MemFree:         1234567 kB
MemAvailable:    9876543 kB
HugePages_Total:       0
`;

describe("parseMemTotal", () => {
  it("reads MemTotal in bytes (the kernel's kB is KiB)", () => {
    expect(parseMemTotal(MEMINFO)).toBe(16318420n * 1024n);
  });

  it("is exact past 2^53 bytes", () => {
    expect(parseMemTotal("MemTotal:       18014398509481984 kB\n")).toBe(2n ** 64n);
  });

  it("takes MemTotal wherever it is, not another line that ends the same", () => {
    expect(parseMemTotal("SwapTotal:  4 kB\nMemTotal: 8 kB\n")).toBe(8192n);
  });

  it("fails saying what is missing", () => {
    expect(() => parseMemTotal("MemFree: 1 kB\n")).toThrow(/no MemTotal line/);
  });
});
