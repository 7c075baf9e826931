// The request arbitraries every RPC's cases draw on: ids (hostile, unknown,
// fixtures), process ids, timestamps, resources, users and process specs.
import fc from "fast-check";

import { hostileString, i64, u32, u64, unknownId } from "./hostile-values.js";
import type { Req } from "./case-types.js";
import type { FixtureName, Ref } from "./world.js";

export const LIVE: FixtureName[] = ["run", "tty", "stdin", "paused", "victim", "pr", "upd"];
export const ALL: FixtureName[] = [...LIVE, "exited"];
export const fixtureRef = (names: readonly FixtureName[]): fc.Arbitrary<Ref> => fc.constantFrom(...names).map((ref) => ({ ref }));

// idOf: hostile strings, valid ids that name nothing, and fixtures.
export function idOf(targets: readonly FixtureName[]): fc.Arbitrary<string | Ref> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileString },
    { weight: 1, arbitrary: unknownId },
    { weight: targets.length > 0 ? 3 : 0, arbitrary: targets.length > 0 ? fixtureRef(targets) : unknownId },
  );
}

export const processIdOf: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("", "init", "e1", "e0", "v1") },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: unknownId },
);

export const timestamp = fc.oneof(
  fc.record({
    seconds: fc.constantFrom("0", "1700000000", "-1", "-62135596800", "-62135596801", "253402300799", "253402300800", "9223372036854775807", "-9223372036854775808"),
    nanos: fc.constantFrom(0, 1, 999_999_999, 1_000_000_000, -1, 2 ** 31 - 1, -(2 ** 31)),
  }),
  fc.record({ seconds: i64, nanos: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
);

export function validTimestamp(ts: unknown): boolean {
  if (ts === undefined || ts === null) return true;
  const { seconds, nanos } = ts as { seconds: string; nanos: number };
  const s = BigInt(seconds);
  return s >= -62135596800n && s <= 253402300799n && nanos >= 0 && nanos <= 999_999_999;
}

export const cpuset = fc.oneof(
  fc.constantFrom("999", "0-", "a", "-1", "0-1", "1-0", "0,1", "0,,1", "0-999999", "1,999", " 0", "0\n", "0-0", "1", "\u0663", "0-1-2", "4294967296", "0 - 1"),
  hostileString,
  fc.array(fc.nat({ max: 4096 }), { minLength: 1, maxLength: 6 }).map((a) => a.join(",")),
);

export const resources = fc.record(
  {
    memoryLimitBytes: i64,
    memorySwapLimitBytes: i64,
    cpuShares: u64,
    cpuQuotaUs: i64,
    cpuPeriodUs: u64,
    pidsLimit: i64,
    cpusetCpus: cpuset,
  },
  { requiredKeys: [] },
);

export const user = fc.record({
  uid: u32,
  gid: u32,
  additionalGids: fc.array(u32, { maxLength: 4 }),
});

export const NOT_RUNNABLE = ["/nonexistent/berth-hostile", "/etc/passwd", "/bin", "/"];

export function processSpec(): fc.Arbitrary<Req> {
  return fc.record(
    {
      args: fc.oneof(
        fc.constant([]),
        fc.constant([""]),
        fc.constant(["true"]),
        fc.constant(["sh", "-c", "exit 3"]),
        fc.constantFrom(...NOT_RUNNABLE).map((p) => [p]),
        fc.array(hostileString, { minLength: 1, maxLength: 3 }).map((a) => ["echo", ...a]),
        fc.constant(["true", "a\0b"]),
      ),
      env: fc.array(fc.oneof(fc.constantFrom("A=1", "=", "=x", "NOEQ", "PATH=", "A=\0b", "\u{1F600}=\u{1F600}", "A=1\nB=2"), hostileString), { maxLength: 4 }),
      cwd: fc.oneof(fc.constantFrom("", "/", "relative", "/nonexistent/dir", "/proc", "/../..", "/etc/passwd", "/a\0b"), hostileString),
      user,
      terminal: fc.boolean(),
      consoleSize: fc.record({ width: u32, height: u32 }),
      stdin: fc.boolean(),
    },
    { requiredKeys: ["args"] },
  );
}
