import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { onlineCpuCount } from "../../src/spec/cpu-fraction.js";
import type { OciSpec } from "../../src/spec/oci-spec.js";
import { applyResourcesToSpec, checkResourcesOnHost, checkResourceUpdate, type ResourceOptions, toLinuxResources } from "../../src/spec/resources.js";
import { messageOf } from "../fixtures/code-of.js";

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
    ).toEqual({ memory: 32 * MIB, swap: -1, shares: 1024, quota: -1, period: 100_000, pids: 20, cpuset: "0,1" });
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

describe("memory reservation", () => {
  it("maps to linux.resources.memory.reservation, at most the limit", () => {
    expect(toLinuxResources({ memoryReservationBytes: 32n * BigInt(MIB) })).toEqual({ memory: { reservation: 32 * MIB } });
    expect(toLinuxResources({ memoryLimitBytes: BigInt(64 * MIB), memoryReservationBytes: BigInt(64 * MIB) })).toEqual({
      memory: { limit: 64 * MIB, reservation: 64 * MIB },
    });
    expect(toLinuxResources({ memoryLimitBytes: -1n, memoryReservationBytes: BigInt(64 * MIB) })).toEqual({ memory: { limit: -1, reservation: 64 * MIB } });
    expect(checkResourceUpdate({ memoryReservationBytes: BigInt(8 * MIB) })).toEqual({ reservation: 8 * MIB });
  });

  it("takes -1 as none: left out on create, kept as -1 for an update to remove", () => {
    expect(toLinuxResources({ memoryReservationBytes: -1n })).toEqual({});
    expect(checkResourceUpdate({ memoryReservationBytes: -1n })).toEqual({ reservation: -1 });
  });

  it("refuses a reservation above the limit, naming both, and one below 4 MiB", () => {
    const both = { memoryLimitBytes: BigInt(32 * MIB), memoryReservationBytes: BigInt(64 * MIB) };
    expect(invalidMessage(both)).toBe(
      "memory_reservation_bytes 67108864 is more than memory_limit_bytes 33554432: a soft limit above the hard limit never applies; give at most 33554432",
    );
    expect(invalidMessage(both, toLinuxResources)).toMatch(/^memory_reservation_bytes 67108864 is more than memory_limit_bytes 33554432/);
    expect(invalidMessage({ memoryReservationBytes: 0n })).toMatch(/^memory_reservation_bytes 0 is below the 4194304 \(4 MiB\) minimum.*-1 for no reservation/);
    expect(invalidMessage({ memoryReservationBytes: -2n })).toMatch(/^memory_reservation_bytes -2 is negative/);
    expect(invalidMessage({ memoryReservationBytes: 2n ** 63n - 1n })).toMatch(/below 2\^53/);
  });
});

describe("blkio weight", () => {
  it("maps to linux.resources.blockIO.weight", () => {
    expect(toLinuxResources({ blkioWeight: 10 })).toEqual({ blockIO: { weight: 10 } });
    expect(checkResourceUpdate({ blkioWeight: 1000 })).toEqual({ blkioWeight: 1000 });
  });

  it("refuses a weight outside 10 to 1000", () => {
    for (const w of [0, 9, 1001, 4_294_967_295]) {
      expect(invalidMessage({ blkioWeight: w })).toBe(`blkio_weight ${w} is out of range: give a relative weight from 10 to 1000`);
    }
    expect(invalidMessage({ blkioWeight: -1 })).toMatch(/^blkio_weight -1 is out of range/);
  });
});

describe("cpus, a fraction of CPUs", () => {
  const cpus = onlineCpuCount();

  it("counts this host's online CPUs", () => {
    expect(cpus).toBeGreaterThanOrEqual(1);
  });

  it("becomes a quota over a 100 ms period, rounded and at least 1 ms", () => {
    expect(toLinuxResources({ cpus: 0.5 })).toEqual({ cpu: { quota: 50_000, period: 100_000 } });
    expect(checkResourceUpdate({ cpus: 1 / 3 })).toEqual({ quota: 33_333, period: 100_000 });
    expect(checkResourceUpdate({ cpus: 0.000_001 })).toEqual({ quota: 1000, period: 100_000 });
    expect(checkResourceUpdate({ cpus, cpuShares: 512 })).toEqual({ quota: cpus * 100_000, period: 100_000, shares: 512 });
  });

  it("refuses cpus beside cpu_quota_us or cpu_period_us", () => {
    const message = /^cpus cannot be given with cpu_quota_us or cpu_period_us: cpus sets both/;
    expect(invalidMessage({ cpus: 0.5, cpuQuotaUs: 50_000 })).toMatch(message);
    expect(invalidMessage({ cpus: 0.5, cpuPeriodUs: 100_000n }, toLinuxResources)).toMatch(message);
    expect(invalidMessage({ cpus: 0.5, cpuQuotaUs: -1n })).toMatch(message);
  });

  it("refuses zero, negatives, NaN and infinities", () => {
    for (const bad of [0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(invalidMessage({ cpus: bad })).toMatch(/^cpus "(0|-1|-0\.5|NaN|Infinity|-Infinity)" is not a positive number of CPUs/);
    }
  });

  it("refuses more CPUs than the host has, saying how many it has", () => {
    expect(invalidMessage({ cpus: cpus + 0.5 })).toBe(`cpus ${cpus + 0.5} is more than this host has: the host has ${cpus} CPUs online; give at most ${cpus}`);
    expect(invalidMessage({ cpus: 1e9 }, toLinuxResources)).toMatch(new RegExp(`the host has ${cpus} CPUs online`));
  });
});

describe("applyResourcesToSpec", () => {
  const spec = (): OciSpec => ({
    ociVersion: "1.0.2",
    process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
    root: { path: "/" },
    linux: {
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        memory: { limit: 64 * MIB, reservation: 32 * MIB },
        cpu: { shares: 512, cpus: "0" },
      },
    },
  });

  it("merges each field given into linux.resources and keeps the rest", () => {
    const s = spec();
    applyResourcesToSpec(s, checkResourceUpdate({ memorySwapLimitBytes: BigInt(128 * MIB), cpus: 0.25, cpusetCpus: "0-1", pidsLimit: 9, blkioWeight: 300 }));
    expect(s.linux?.resources).toEqual({
      devices: [{ allow: false, access: "rwm" }],
      memory: { limit: 64 * MIB, reservation: 32 * MIB, swap: 128 * MIB },
      cpu: { shares: 512, cpus: "0-1", quota: 25_000, period: 100_000 },
      pids: { limit: 9 },
      blockIO: { weight: 300 },
    });
  });

  it("removes the reservation for -1 and makes linux.resources when there is none", () => {
    const s = spec();
    applyResourcesToSpec(s, checkResourceUpdate({ memoryReservationBytes: -1n }));
    expect(s.linux?.resources?.memory).toEqual({ limit: 64 * MIB });
    const bare: OciSpec = { ociVersion: "1.0.2", process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" }, root: { path: "/" } };
    applyResourcesToSpec(bare, checkResourceUpdate({ memoryReservationBytes: BigInt(16 * MIB) }));
    expect(bare.linux).toEqual({ resources: { memory: { reservation: 16 * MIB } } });
  });

  it("refuses, changing nothing, an update that leaves the reservation above the limit", () => {
    const s = spec();
    expect(invalidMessage({ memoryReservationBytes: BigInt(65 * MIB) }, (r) => applyResourcesToSpec(s, checkResourceUpdate(r)))).toBe(
      `memory_reservation_bytes ${65 * MIB} is more than the container's memory_limit_bytes ${64 * MIB}: give at most ${64 * MIB}, or raise memory_limit_bytes with it`,
    );
    expect(invalidMessage({ memoryLimitBytes: BigInt(16 * MIB) }, (r) => applyResourcesToSpec(s, checkResourceUpdate(r)))).toMatch(
      /^memory_limit_bytes 16777216 is less than the container's memory_reservation_bytes 33554432/,
    );
    expect(s.linux?.resources?.memory).toEqual({ limit: 64 * MIB, reservation: 32 * MIB });
    // A user's spec may hold a reservation above its limit (runc takes it);
    // an update that leaves memory alone is no place to object.
    const odd = spec();
    odd.linux!.resources!.memory = { limit: 8 * MIB, reservation: 16 * MIB };
    applyResourcesToSpec(odd, checkResourceUpdate({ pidsLimit: 5 }));
    expect(odd.linux?.resources?.pids).toEqual({ limit: 5 });
    applyResourcesToSpec(s, checkResourceUpdate({ memoryLimitBytes: -1n }));
    applyResourcesToSpec(s, checkResourceUpdate({ memoryReservationBytes: BigInt(128 * MIB) }));
    expect(s.linux?.resources?.memory).toEqual({ limit: -1, reservation: 128 * MIB });
  });
});

describe("checkResourcesOnHost", () => {
  it("refuses a cpuset of CPUs this host lacks, named with the prefix", async () => {
    await checkResourcesOnHost(checkResourceUpdate({ cpusetCpus: "0" }));
    expect(await messageOf(checkResourcesOnHost(checkResourceUpdate({ cpusetCpus: "4096" }), "resources."))).toMatch(/^resources\.cpuset_cpus 4096: this host has CPUs/);
  });
});
