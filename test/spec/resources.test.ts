import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { checkResourceUpdate, type ResourceOptions, toLinuxResources } from "../../src/spec/resources.js";

const MIB = 1024 * 1024;

function invalidMessage(resources: ResourceOptions, convert: (r: ResourceOptions) => unknown = checkResourceUpdate): string {
  try {
    convert(resources);
  } catch (err) {
    expect(isBerthError(err, "invalid_argument"), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`expected INVALID_ARGUMENT for ${JSON.stringify(resources, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`);
}

describe("toLinuxResources", () => {
  it("sets only what is given, as JSON-safe numbers", () => {
    expect(toLinuxResources(undefined)).toEqual({});
    expect(
      toLinuxResources({
        memoryLimitBytes: 32n * BigInt(MIB),
        memorySwapLimitBytes: 64n * BigInt(MIB),
        cpuShares: 512n,
        cpuQuotaUs: 50_000n,
        cpuPeriodUs: 100_000n,
        pidsLimit: -1n,
        cpusetCpus: "0-1",
      }),
    ).toEqual({
      memory: { limit: 32 * MIB, swap: 64 * MIB },
      cpu: { shares: 512, quota: 50_000, period: 100_000, cpus: "0-1" },
      pids: { limit: -1 },
    });
    expect(toLinuxResources({ cpuQuotaUs: 20_000 })).toEqual({ cpu: { quota: 20_000 } });
  });

  it("needs a memory limit beside a swap limit on create", () => {
    expect(invalidMessage({ memorySwapLimitBytes: BigInt(64 * MIB) }, toLinuxResources)).toMatch(/needs memory_limit_bytes too/);
    expect(toLinuxResources({ memorySwapLimitBytes: -1n })).toEqual({ memory: { swap: -1 } });
  });
});

describe("checkResourceUpdate", () => {
  it("reads each field as a plain number, -1 included, and leaves the rest unset", () => {
    expect(
      checkResourceUpdate({
        memoryLimitBytes: BigInt(32 * MIB),
        memorySwapLimitBytes: -1n,
        cpuShares: 1024n,
        cpuQuotaUs: -1n,
        cpuPeriodUs: 100_000n,
        pidsLimit: 20n,
        cpusetCpus: "0,1",
      }),
    ).toEqual({ memory: 32 * MIB, swap: -1, shares: 1024, quota: -1, period: 100_000, pids: 20, cpus: "0,1" });
    expect(checkResourceUpdate({ pidsLimit: 5 })).toEqual({ pids: 5 });
  });

  it("refuses an update that sets nothing", () => {
    expect(invalidMessage({})).toMatch(/sets nothing to update: give at least one of memory_limit_bytes/);
  });

  it("refuses nonsense values with a message saying what to give", () => {
    expect(invalidMessage({ memoryLimitBytes: 1000n })).toMatch(/below the 4194304 \(4 MiB\) minimum: give bytes/);
    expect(invalidMessage({ memoryLimitBytes: -5n })).toMatch(/negative.*-1 for no limit/);
    expect(invalidMessage({ memoryLimitBytes: BigInt(64 * MIB), memorySwapLimitBytes: BigInt(32 * MIB) })).toMatch(
      /less than memory_limit_bytes/,
    );
    expect(invalidMessage({ cpuShares: 1n })).toMatch(/cpu_shares 1 is out of range: give .* 2 to 262144/);
    expect(invalidMessage({ cpuQuotaUs: 10n })).toMatch(/at least 1000 microseconds/);
    expect(invalidMessage({ cpuPeriodUs: 10_000_000n })).toMatch(/1000 to 1000000/);
    expect(invalidMessage({ pidsLimit: 0n })).toMatch(/positive limit, or -1/);
    expect(invalidMessage({ cpusetCpus: "" })).toMatch(/not a CPU list/);
    expect(invalidMessage({ cpusetCpus: "3-1" })).toMatch(/not a CPU list/);
    expect(invalidMessage({ cpusetCpus: "0;rm" })).toMatch(/not a CPU list/);
    expect(invalidMessage({ memoryLimitBytes: 2n ** 60n })).toMatch(/below 2\^53/);
    expect(invalidMessage({ pidsLimit: 1.5 })).toMatch(/whole number/);
  });
});
