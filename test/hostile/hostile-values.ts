// Hostile values shared by every RPC's arbitraries: ids and strings that
// try path traversal, NUL and control characters, unicode and sheer size;
// numbers at and past the edges of their types.
import fc from "fast-check";

// The id pattern the .proto documents (containers.proto, CreateRequest.id).
export const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

// validId tells whether the daemon must accept s as a container, process or
// namespace id (README: the pattern, and no "..").
export function validId(s: string): boolean {
  return ID_PATTERN.test(s) && !s.includes("..");
}

const CURATED = [
  "",
  ".",
  "..",
  "/",
  "../x",
  "../../../../etc/passwd",
  "a/../../b",
  "a/b",
  "/etc/passwd",
  "-a",
  "_a",
  ".hidden",
  "a..b",
  "a\0b",
  "\0",
  "a\nb",
  "a\tb",
  "a b",
  " a",
  "a\r",
  "\x1b[31mred",
  "\u202eevil",
  "\u00fc",
  "\u{1F600}",
  "%2e%2e%2f",
  "a\\b",
  "*",
  "a:b",
  "a%b",
  "\uFEFFa",
];

// hugeString is a string far past any sensible bound, described by its
// length so a counterexample stays readable.
export const hugeString = (min = 129, max = 100_000): fc.Arbitrary<string> =>
  fc.integer({ min, max }).map((n) => "a".repeat(n));

const nasty = fc.constantFrom("\0", "\n", "\r", "\t", "\x7f", "\x1b", "/", ".", "\\", "%", "\u202e", "\u{1F600}", "\u00e9", "a", "0");

// hostileString: never a valid id, most of the time; sometimes one by
// chance (the rules judge by the value, not by how it was made).
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CURATED) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: nasty, minLength: 1, maxLength: 24 }) },
  { weight: 1, arbitrary: hugeString() },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => `${"../".repeat(n)}etc`) },
);

// unknownId is a valid id that names nothing.
export const unknownId: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9]{1,12}$/).map((s) => `nx-${s}`);

// u32 and friends: proto-loader takes numbers for 32-bit fields and decimal
// strings for 64-bit ones.
export const u32: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1), fc.nat({ max: 2 ** 32 - 1 }));
export const i64: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("-9223372036854775808", "-2", "-1", "0", "1", "4095", "4096", "1048576", "67108864", "9223372036854775807"),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
);
export const u64: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("0", "1", "2", "999", "1000", "100000", "1000000", "1000001", "262144", "262145", "18446744073709551615"),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
);

// An enum number: mostly ones the .proto does not declare.
export const enumNumber = (declared: number[]): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...declared) },
    { weight: 1, arbitrary: fc.constant(Math.max(...declared) + 1) },
    { weight: 2, arbitrary: fc.integer({ min: Math.max(...declared) + 1, max: 2 ** 31 - 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: -1 }) },
  );

export const bogusSignals = [
  "",
  "SIGFOO",
  "FOO",
  "SIG",
  "KILLL",
  "SIGSIGKILL",
  "-9",
  "-1",
  "65",
  "999",
  "4294967296",
  "99999999999999999999",
  "9.5",
  "0x9",
  " 9",
  "9 ",
  "+9",
  "1e1",
  "KILL\0",
  "\uFF2B\uFF29\uFF2C\uFF2C",
  "9\n",
];
export const validSignals = ["KILL", "SIGKILL", "9", "TERM", "SIGTERM", "15", "USR1", "HUP", "SIGCONT", "CONT", "WINCH"];

// bogusSignal is a signal no kernel has; validSignal one every Linux has.
export const bogusSignal: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...bogusSignals) },
  { weight: 1, arbitrary: fc.integer({ min: 65, max: 2 ** 31 - 1 }).map(String) },
  { weight: 1, arbitrary: hugeString(65, 20_000) },
);
export const validSignal: fc.Arbitrary<string> = fc.constantFrom(...validSignals);

export function isBogusSignal(s: string): boolean {
  if (/^\d+$/.test(s)) return Number(s) > 64;
  return !/^(SIG)?[A-Z]+[0-9]*$/.test(s) || bogusSignals.includes(s) || s.length > 32;
}

// Huge repeated fields travel to the caller's process as a recipe, expanded
// there (hostile-caller-process.mjs), so building a 20,000-entry list never
// runs on the daemon's thread and never shows up as the daemon being slow.
//   { $repeat: n, item, head? }  a list: head, then n copies of item, each
//                                "{i}" in its strings replaced by the index
//   { $entries: n, key, value }  a map of n entries, "{i}" likewise
export interface RepeatRecipe {
  $repeat: number;
  item: unknown;
  head?: unknown[];
}
export interface EntriesRecipe {
  $entries: number;
  key: string;
  value: string;
}

export const repeat = (n: number, item: unknown, head: unknown[] = []): RepeatRecipe => ({ $repeat: n, item, head });
export const entries = (n: number, key: string, value: string): EntriesRecipe => ({ $entries: n, key, value });

export function isRepeat(v: unknown): v is RepeatRecipe {
  return v !== null && typeof v === "object" && "$repeat" in v;
}
export function isEntries(v: unknown): v is EntriesRecipe {
  return v !== null && typeof v === "object" && "$entries" in v;
}

function fillIndex(item: unknown, i: number): unknown {
  if (typeof item === "string") return item.replaceAll("{i}", String(i));
  if (Array.isArray(item)) return item.map((v) => fillIndex(v, i));
  if (item !== null && typeof item === "object") return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fillIndex(v, i)]));
  return item;
}

// sampleOf is a list as the rules read it: a recipe's head and first item
// stand for the whole (every item has the same shape), with its length.
export function sampleOf(v: unknown): { items: unknown[]; length: number } {
  if (isRepeat(v)) {
    const head = v.head ?? [];
    return { items: v.$repeat > 0 ? [...head, fillIndex(v.item, 0)] : head, length: head.length + v.$repeat };
  }
  const items = Array.isArray(v) ? v : [];
  return { items, length: items.length };
}
