import { BerthError } from "../errors/berth-error.js";

// Parsers for the value formats of cgroup files. Values are bigint because
// counters and "unlimited" sentinels exceed 2^53, and the Stats fields are
// uint64 (bigint in protobuf-es).

// A readable cgroup file: a KeptFile, or undefined when the file is absent.
export type ValueSource = { readonly path: string; read(): string } | undefined;

// Limits at or above 2^62 are the kernel's "no limit" (PAGE_COUNTER_MAX
// times the page size, e.g. 9223372036854771712 with 4 KiB pages).
const UNLIMITED = 1n << 62n;

// parseUint parses one unsigned decimal; what names the file in the error.
export function parseUint(text: string, what: string): bigint {
  const value = text.trim();
  if (!/^\d+$/.test(value)) throw new BerthError("internal", `malformed value in ${what}: ${JSON.stringify(value)}`);
  return BigInt(value);
}

// parseLimit parses a limit, giving 0 for "max" (v2) and for the huge v1
// sentinel, as the Stats message defines 0 as "no limit".
export function parseLimit(text: string, what: string): bigint {
  if (text.trim() === "max") return 0n;
  const value = parseUint(text, what);
  return value >= UNLIMITED ? 0n : value;
}

// parseKeyedValues reads a flat keyed file ("key value" lines, as
// memory.stat, cpu.stat, cpuacct.stat, memory.events) and converts only the
// wanted keys, since memory.stat has dozens of lines and few are used.
export function parseKeyedValues(text: string, wanted: ReadonlySet<string>, what: string): Map<string, bigint> {
  const values = new Map<string, bigint>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const space = text.indexOf(" ", start);
    if (space > start && space < end) {
      const key = text.slice(start, space);
      if (wanted.has(key)) values.set(key, parseUint(text.slice(space + 1, end), what));
    }
    start = end + 1;
  }
  return values;
}

// readUint reads a single-value file; an absent file reads as 0.
export function readUint(file: ValueSource): bigint {
  return file === undefined ? 0n : parseUint(file.read(), file.path);
}

// readLimit reads a limit file; an absent file reads as 0, "no limit".
export function readLimit(file: ValueSource): bigint {
  return file === undefined ? 0n : parseLimit(file.read(), file.path);
}

// readKeyed reads the wanted keys of a flat keyed file; an absent file has none.
export function readKeyed(file: ValueSource, wanted: ReadonlySet<string>): Map<string, bigint> {
  return file === undefined ? new Map() : parseKeyedValues(file.read(), wanted, file.path);
}
