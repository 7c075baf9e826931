import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { quote } from "../../src/errors/quote.js";
import { CreateRequestSchema } from "../../src/gen/berth/v1/containers_pb.js";
import { buildDefaultSpec } from "../../src/spec/default-spec.js";
import { checkBindSource, checkCpusOnline, parseCpuList } from "../../src/spec/host-checks.js";
import { checkProcessOptions, mergeEnv } from "../../src/spec/process-spec.js";
import { checkRequestElements } from "../../src/spec/request-elements.js";
import { ARG_MAX_BYTES, ENV_MAX_ENTRIES, REQUEST_MAX_ELEMENTS } from "../../src/spec/request-limits.js";
import { bestCpuMs } from "../fixtures/cpu-time.js";

function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isBerthError(err, "invalid_argument"), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

async function invalidMessageOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isBerthError(err, "invalid_argument"), String(err)).toBe(true);
  return (err as Error).message;
}

const env = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `K${from + i}=v`);

describe("quote", () => {
  it("JSON-quotes a short value whole", () => {
    expect(quote("abc")).toBe('"abc"');
    expect(quote('a"\n')).toBe('"a\\"\\n"');
    expect(quote(undefined)).toBe('""');
  });

  it("cuts a long value to a prefix and says how long it was", () => {
    const long = "x".repeat(10_000);
    expect(quote(long)).toBe(`"${"x".repeat(64)}"…(10000 bytes)`);
    // Never half a surrogate pair.
    expect(quote(`${"x".repeat(63)}😀${"y".repeat(100)}`)).toBe(`"${"x".repeat(63)}"…(167 bytes)`);
  });
});

describe("mergeEnv", () => {
  it("replaces by key in place and appends new keys in order", () => {
    expect(mergeEnv(["A=1", "B=2"], ["B=3", "C=4", "A=5", "C=6"])).toEqual(["A=5", "B=3", "C=6"]);
  });

  // It was quadratic (a findIndex per entry): 100,000 entries blocked the
  // daemon for 150 s. Ten times the entries must cost about ten times as
  // much, not a hundred.
  it("takes time linear in the entries", () => {
    // CPU time, best of several runs: what the merge costs,
    // which other suites on the host's CPUs do not inflate as they do the
    // clock.
    const time = (n: number) => {
      const base = env(n);
      const overrides = env(n, Math.round(n / 2));
      return bestCpuMs(() => mergeEnv(base, overrides), 5);
    };
    time(1000);
    const small = time(Math.round(ENV_MAX_ENTRIES / 10));
    const large = time(ENV_MAX_ENTRIES);
    console.log(`mergeEnv: ${Math.round(ENV_MAX_ENTRIES / 10)} entries ${small.toFixed(1)} ms, ${ENV_MAX_ENTRIES} entries ${large.toFixed(1)} ms of CPU`);
    expect(large).toBeLessThan(Math.max(small, 2) * 40);
    // The quadratic merge took seconds here.
    expect(large).toBeLessThan(500);
  });
});

describe("checkProcessOptions", () => {
  it("bounds the entries before reading them", () => {
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], env: env(ENV_MAX_ENTRIES + 1) }))).toBe(
      `process.env has ${ENV_MAX_ENTRIES + 1} entries, over the limit of ${ENV_MAX_ENTRIES}: send at most ${ENV_MAX_ENTRIES}`,
    );
    expect(invalidMessage(() => checkProcessOptions({ args: Array.from({ length: 20_000 }, () => "x") }))).toMatch(/process\.args has 20000 entries/);
  });

  it("applies execve's limits: 128 KiB a string, ARG_MAX in all", () => {
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh", "x".repeat(128 * 1024)] }))).toMatch(
      /^process\.args\[1\] "x{64}"…\(131072 bytes\) is longer than the limit of 131071 bytes$/,
    );
    const big = Array.from({ length: 20 }, () => `V=${"x".repeat(120_000)}`);
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], env: big }))).toMatch(new RegExp(`over the kernel's ARG_MAX of ${ARG_MAX_BYTES}`));
    expect(() => checkProcessOptions({ args: ["sh"], env: big.slice(0, 15) })).not.toThrow();
  });

  it("refuses ids runc cannot apply and sizes a terminal cannot have", () => {
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], user: { uid: 2 ** 31 } }))).toBe(
      "process.user.uid 2147483648 is out of range: give 0 to 2147483647",
    );
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], user: { gid: 4294967295 } }))).toMatch(/process\.user\.gid 4294967295 is out of range/);
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], user: { additionalGids: [1, 2 ** 31] } }))).toMatch(/additional_gids\[1\]/);
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], user: { additionalGids: Array.from({ length: 1025 }, () => 1) } }))).toMatch(
      /additional_gids has 1025 entries, over the limit of 1024/,
    );
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], terminal: true, consoleSize: { width: 70_000, height: 10 } }))).toMatch(/console_size\.width 70000/);
    expect(invalidMessage(() => checkProcessOptions({ args: ["sh"], cwd: `/${"d".repeat(5000)}` }))).toMatch(/process\.cwd .*…\(5001 bytes\) is longer than the limit of 4095 bytes/);
  });
});

describe("buildDefaultSpec bounds", () => {
  const base = { process: { args: ["sh"] }, rootfsPath: "/rootfs" };

  it("bounds labels, mounts and the hostname, echoing values cut short", () => {
    const labels = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"]));
    expect(invalidMessage(() => buildDefaultSpec({ ...base, labels }))).toMatch(/labels has 129 entries, over the limit of 128/);
    expect(invalidMessage(() => buildDefaultSpec({ ...base, labels: { k: "v".repeat(5000) } }))).toMatch(/labels\["k"\] "v{64}"…\(5000 bytes\) is longer than the limit of 4096/);
    expect(invalidMessage(() => buildDefaultSpec({ ...base, labels: { "": "v" } }))).toMatch(/empty key/);
    const mounts = Array.from({ length: 257 }, (_, i) => ({ source: "/tmp", destination: `/m${i}` }));
    expect(invalidMessage(() => buildDefaultSpec({ ...base, mounts }))).toMatch(/mounts has 257 entries, over the limit of 256/);
    const message = invalidMessage(() => buildDefaultSpec({ ...base, hostname: "h".repeat(10_000) }));
    expect(message).toMatch(/^hostname "h{64}"…\(10000 bytes\) is not a valid host name/);
    expect(message.length).toBeLessThan(300);
  });

  it("refuses a bind mount over /proc, inside /proc, or in place of /sys", () => {
    expect(invalidMessage(() => buildDefaultSpec({ ...base, mounts: [{ source: "/tmp", destination: "/proc" }] }))).toMatch(/^mounts\[0\] covers \/proc/);
    expect(invalidMessage(() => buildDefaultSpec({ ...base, mounts: [{ source: "/tmp", destination: "/proc/sys/" }] }))).toMatch(/inside \/proc/);
    expect(invalidMessage(() => buildDefaultSpec({ ...base, mounts: [{ source: "/sys", destination: "/sys" }] }))).toMatch(/replaces \/sys/);
    expect(() => buildDefaultSpec({ ...base, mounts: [{ source: "/tmp", destination: "/proc/uptime" }, { source: "/tmp", destination: "/sys/x" }] })).not.toThrow();
  });
});

describe("host checks", () => {
  it("reads cpu lists as ranges without expanding them", () => {
    expect(parseCpuList("0-3,8,10-11")).toEqual([[0, 3], [8, 8], [10, 11]]);
    expect(parseCpuList("3-1")).toBeUndefined();
    expect(parseCpuList("0,")).toBeUndefined();
  });

  it("names the CPUs this host has", async () => {
    expect(await invalidMessageOf(checkCpusOnline("cpuset_cpus", "999"))).toMatch(/^cpuset_cpus 999: this host has CPUs \S+ online; name only those$/);
    expect(await invalidMessageOf(checkCpusOnline("cpuset_cpus", "0-4294967295"))).toMatch(/cpuset_cpus 0-4294967295: this host has CPUs/);
    await checkCpusOnline("cpuset_cpus", "0");
  });

  it("requires a bind mount's source to exist", async () => {
    expect(await invalidMessageOf(checkBindSource("mounts[0].source", "/no/such/dir"))).toBe(
      'mounts[0].source "/no/such/dir" does not exist on the daemon\'s host: create it first or fix the path',
    );
    await checkBindSource("mounts[0].source", "/tmp");
  });
});

describe("checkRequestElements", () => {
  const encode = (init: Parameters<typeof create<typeof CreateRequestSchema>>[1]) => toBinary(CreateRequestSchema, create(CreateRequestSchema, init));

  it("passes the largest request the field bounds allow", () => {
    checkRequestElements(CreateRequestSchema, encode({ id: "x", process: { args: env(16_384), env: env(16_384), user: { additionalGids: Array.from({ length: 1024 }, () => 65_000) } } }));
  });

  it("refuses a message of more elements, at cost bounded by the budget", () => {
    const bytes = encode({ id: "x", process: { args: ["sh"], env: Array.from({ length: 2_000_000 }, () => "") } });
    expect(invalidMessage(() => checkRequestElements(CreateRequestSchema, bytes))).toMatch(new RegExp(`CreateRequest holds more than ${REQUEST_MAX_ELEMENTS} fields`));
    // The cost is CPU time (best of three), not the clock's:
    // a wait for a CPU on a loaded host is no work of the scan's.
    const ms = bestCpuMs(() => invalidMessage(() => checkRequestElements(CreateRequestSchema, bytes)), 3);
    console.log(`refusing 2,000,000 entries before decoding took ${ms.toFixed(1)} ms of CPU`);
    expect(ms).toBeLessThan(200);
    // Packed numbers count by the byte, and map entries count too.
    expect(invalidMessage(() => checkRequestElements(CreateRequestSchema, encode({ id: "x", process: { user: { additionalGids: Array.from({ length: 70_000 }, () => 1) } } })))).toMatch(/more than/);
    expect(invalidMessage(() => checkRequestElements(CreateRequestSchema, encode({ id: "x", labels: Object.fromEntries(env(30_000).map((e) => e.split("="))) })))).toMatch(/more than/);
  });

  it("leaves malformed bytes to the decoder", () => {
    expect(() => checkRequestElements(CreateRequestSchema, new Uint8Array([0x0a, 0xff, 0xff]))).not.toThrow();
  });
});
