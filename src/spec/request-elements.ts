// checkRequestElements bounds the number of fields in a request message
// before it is decoded. Decoding runs on the event loop at about a
// microsecond per element, and a 16 MiB message can hold eight million
// empty strings: without this count, the bounds checked after decoding
// (request-limits.ts) would come seconds too late for every other client.
// The walk only reads tags and lengths, descends into message fields, and
// stops at the first element past the budget, so refusing costs no more
// than the budget (a few milliseconds for 65,536 elements).
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";

import { invalidArgument } from "../errors/berth-error.js";
import { checkCount, REPEATED_MAX_ENTRIES, REQUEST_MAX_ELEMENTS, TOP_LEVEL_ENTRY_BOUNDS } from "./request-limits.js";

// Protobuf's own nesting limit (protobuf-go and C++ use 100).
const MAX_DEPTH = 100;

// checkRequestElements throws INVALID_ARGUMENT when bytes, a message of type
// desc, holds more than REQUEST_MAX_ELEMENTS fields at all depths (each
// byte of a packed list counts as one, since an element takes at least one).
// Malformed bytes are left for the decoder to report.
//
// It also counts the entries of each top-level repeated or map field with a
// bound (TOP_LEVEL_ENTRY_BOUNDS) and refuses one past it before decoding:
// Create's 128 labels would otherwise be checked only after decoding
// 20,000 of them, a 100 ms stall.
export function checkRequestElements(desc: DescMessage, bytes: Uint8Array, max = REQUEST_MAX_ELEMENTS): void {
  const budget = { left: max };
  const bounds = boundsByNumber(desc);
  const counts = bounds === undefined ? undefined : new Map<number, number>();
  try {
    walk(desc, bytes, 0, bytes.length, budget, 0, counts);
  } catch {
    // Not protobuf: the decoder says why.
  }
  if (budget.left < 0) {
    throw invalidArgument(`the ${desc.name} holds more than ${max} fields and list entries in all: send smaller lists (see each field's limit)`);
  }
  for (const [number, count] of counts ?? []) {
    const bound = bounds?.get(number);
    // The message the same bound gives after decoding.
    if (bound !== undefined) checkCount(bound.name, count, bound.max);
  }
}

const boundsCache = new WeakMap<DescMessage, Map<number, { name: string; max: number }> | null>();

// boundsByNumber maps the field numbers of desc's bounded top-level fields
// to their bounds; undefined for a type with none.
function boundsByNumber(desc: DescMessage): Map<number, { name: string; max: number }> | undefined {
  let bounds = boundsCache.get(desc);
  if (bounds === undefined) {
    const table = TOP_LEVEL_ENTRY_BOUNDS[desc.typeName];
    bounds = table === undefined ? null : new Map(desc.fields.filter((f) => table[f.name] !== undefined).map((f) => [f.number, { name: f.name, max: table[f.name] as number }]));
    boundsCache.set(desc, bounds);
  }
  return bounds ?? undefined;
}

const jsonBoundsCache = new WeakMap<DescMessage, Map<string, { name: string; max: number }>>();

// jsonBounds maps both JSON names of desc's bounded top-level fields (the
// lowerCamel one and the proto one, which fromJson also accepts) to their
// bounds.
function jsonBounds(desc: DescMessage): Map<string, { name: string; max: number }> {
  let bounds = jsonBoundsCache.get(desc);
  if (bounds === undefined) {
    bounds = new Map();
    for (const [number, bound] of boundsByNumber(desc) ?? []) {
      const field = desc.fields.find((f) => f.number === number);
      if (field === undefined) continue;
      bounds.set(field.name, bound);
      bounds.set(field.jsonName, bound);
    }
    jsonBoundsCache.set(desc, bounds);
  }
  return bounds;
}

const byNumber = new WeakMap<DescMessage, Map<number, DescField>>();

function fieldsOf(desc: DescMessage): Map<number, DescField> {
  let fields = byNumber.get(desc);
  if (fields === undefined) {
    fields = new Map(desc.fields.map((f) => [f.number, f]));
    byNumber.set(desc, fields);
  }
  return fields;
}

// walk counts the fields of bytes[from, to) as a message of type desc. It
// reads varints by hand rather than through BinaryReader: one reader and
// one subarray per field cost more than the count itself.
// counts, given at the top level only, gathers the entries of each field
// by number (a packed list's entries counted exactly: each varint ends in
// one byte under 0x80).
function walk(desc: DescMessage, bytes: Uint8Array, from: number, to: number, budget: { left: number }, depth: number, counts?: Map<number, number>): void {
  if (depth > MAX_DEPTH) return;
  const fields = fieldsOf(desc);
  const cursor = { at: from };
  while (cursor.at < to) {
    const tag = varint(bytes, cursor, to);
    if (--budget.left < 0) return;
    const number = Math.floor(tag / 8);
    if (counts !== undefined) {
      let entries = 1;
      if (tag % 8 === WireType.LengthDelimited) {
        const field = fields.get(number);
        if (field !== undefined && isPackable(field)) entries = packedEntries(bytes, cursor.at, to);
      }
      counts.set(number, (counts.get(number) ?? 0) + entries);
    }
    switch (tag % 8) {
      case WireType.Varint:
        varint(bytes, cursor, to);
        break;
      case WireType.Bit64:
        cursor.at += 8;
        break;
      case WireType.Bit32:
        cursor.at += 4;
        break;
      case WireType.LengthDelimited: {
        const length = varint(bytes, cursor, to);
        const start = cursor.at;
        cursor.at += length;
        if (cursor.at > to) throw new RangeError("truncated");
        const field = fields.get(number);
        const inner = field === undefined ? undefined : messageOf(field);
        if (inner !== undefined) walk(inner, bytes, start, cursor.at, budget, depth + 1);
        // A map entry holds a key and a value.
        else if (field?.fieldKind === "map") budget.left -= 2;
        // A packed list of numbers: at least one byte each.
        else if (field !== undefined && isPackable(field)) budget.left -= length;
        break;
      }
      default:
        // Groups, long deprecated: the decoder judges them.
        throw new RangeError("group");
    }
    if (budget.left < 0) return;
  }
}

// packedEntries counts the varints of the packed list whose length prefix
// starts at at (bytes past to are left for the walk to call truncated).
function packedEntries(bytes: Uint8Array, at: number, to: number): number {
  const cursor = { at };
  let length: number;
  try {
    length = varint(bytes, cursor, to);
  } catch {
    return 1;
  }
  const end = Math.min(cursor.at + length, to);
  let entries = 0;
  for (let i = cursor.at; i < end; i++) if ((bytes[i] as number) < 0x80) entries++;
  return entries;
}

// varint reads one base-128 varint (up to 64 bits, as a float: only its
// size matters here) at cursor.at.
function varint(bytes: Uint8Array, cursor: { at: number }, to: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor.at >= to) throw new RangeError("truncated");
    const b = bytes[cursor.at++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  throw new RangeError("varint too long");
}

// isPackable says whether a length-delimited field is a packed list of
// numbers or enums (strings and bytes are never packed).
function isPackable(field: DescField): boolean {
  if (field.fieldKind !== "list") return false;
  if (field.listKind === "enum") return true;
  return field.listKind === "scalar" && field.scalar !== ScalarType.STRING && field.scalar !== ScalarType.BYTES;
}

function messageOf(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  return undefined;
}

// checkJsonElements is checkRequestElements for a request in JSON, run on
// the text before anything parses it. protobuf-es's fromJson costs about a
// microsecond an element and more for map keys, so a 3 MB body of tiny
// entries kept the event loop busy for most of a second; even JSON.parse
// of a 150,000-key object takes over 100 ms. The count is one pass over
// the bytes: every ',' outside a string separates two elements and every
// '{' or '[' opens one more (an empty container counts as one, as an empty
// field does on the wire), so it never undercounts; every ':' counts two
// more, so an object member costs three, as a map entry does on the wire
// (its tag, key and value): map members are what fromJson is slowest at.
// It stops at the first element past the budget. Malformed JSON is left for
// the decoder to report.
//
// The same pass bounds each array and object by its members: none may hold
// more than REPEATED_MAX_ENTRIES, and the value of a top-level field with a
// bound of its own (TOP_LEVEL_ENTRY_BOUNDS: Create's labels, 128) no more
// than that bound. A body under the element budget could otherwise hold one
// object of 21,000 labels, refused only after fromJson spent 150 ms on it.
export function checkJsonElements(desc: DescMessage, text: Uint8Array, max = REQUEST_MAX_ELEMENTS): void {
  let left = max;
  const bounds = jsonBounds(desc);
  // For each open array or object: the members seen (commas + 1), its bound,
  // and the name of the bounded field it is the value of ("" for none).
  const members: number[] = [];
  const limits: number[] = [];
  const names: string[] = [];
  // The last string closed at the top level, a key once a ':' follows it.
  let keyFrom = -1;
  let keyTo = -1;
  let key: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === QUOTE) {
      // A string is skipped with indexOf (memchr), not byte by byte: a
      // 3 MB id costs a millisecond, not ten.
      const from = i + 1;
      let end = text.indexOf(QUOTE, from);
      while (end !== -1 && escaped(text, from, end)) end = text.indexOf(QUOTE, end + 1);
      // Unterminated: malformed, the decoder says why.
      if (end === -1) break;
      if (members.length === 1) {
        keyFrom = from;
        keyTo = end;
      }
      i = end;
      continue;
    }
    if (c === COMMA || c === COLON || c === OPEN_BRACE || c === OPEN_BRACKET) {
      left -= c === COLON ? 2 : 1;
      if (left < 0) throw invalidArgument(`the ${desc.name} holds more than ${max} fields and list entries in all: send smaller lists (see each field's limit)`);
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const bound = members.length === 1 && key !== undefined ? bounds.get(key) : undefined;
      members.push(1);
      limits.push(bound?.max ?? REPEATED_MAX_ENTRIES);
      names.push(bound?.name ?? "");
      key = undefined;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      // A bounded field's value is counted to its end, so the refusal
      // names its size as the check after decoding would (a pass over
      // the bytes is cheap; decoding them is not).
      const count = members.pop();
      const limit = limits.pop();
      const name = names.pop();
      if (name !== undefined && name !== "") checkCount(name, count!, limit!);
    } else if (c === COMMA) {
      const top = members.length - 1;
      if (top < 0) continue;
      const count = ++members[top]!;
      if (count > limits[top]! && names[top] === "") {
        throw invalidArgument(`a list or object in the ${desc.name} has more than ${limits[top]!} entries, more than any field may hold: send smaller lists (see each field's limit)`);
      }
      if (top === 0) key = undefined;
    } else if (c === COLON && members.length === 1 && keyTo > keyFrom && keyFrom >= 0) {
      // A key longer than any field name is none, and is not copied. A
      // short one with an escape ("lab\u0065ls") is read as JSON.parse
      // (and so fromJson) reads it, so an escape cannot hide a field.
      key = keyTo - keyFrom > MAX_NAME_BYTES ? "" : nameOf(latin1(text, keyFrom, keyTo));
    }
  }
  // A body cut short inside a bounded field's value is still judged by it.
  names.forEach((name, i) => name !== "" && checkCount(name, members[i]!, limits[i]!));
}

// escaped tells whether the quote at at is escaped: preceded by an odd run
// of backslashes (after from, where its string starts).
function escaped(text: Uint8Array, from: number, at: number): boolean {
  let run = 0;
  for (let i = at - 1; i >= from && text[i] === BACKSLASH; i--) run++;
  return run % 2 === 1;
}

// MAX_NAME_BYTES: longer than any field name, escapes written out.
const MAX_NAME_BYTES = 256;

function nameOf(raw: string): string {
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return "";
  }
}

function latin1(text: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) out += String.fromCharCode(text[i] as number);
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
