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
import { REQUEST_MAX_ELEMENTS } from "./request-limits.js";

// Protobuf's own nesting limit (protobuf-go and C++ use 100).
const MAX_DEPTH = 100;

// checkRequestElements throws INVALID_ARGUMENT when bytes, a message of type
// desc, holds more than REQUEST_MAX_ELEMENTS fields at all depths (each
// byte of a packed list counts as one, since an element takes at least one).
// Malformed bytes are left for the decoder to report.
export function checkRequestElements(desc: DescMessage, bytes: Uint8Array, max = REQUEST_MAX_ELEMENTS): void {
  const budget = { left: max };
  try {
    walk(desc, bytes, 0, bytes.length, budget, 0);
  } catch {
    // Not protobuf: the decoder says why.
  }
  if (budget.left < 0) {
    throw invalidArgument(`the ${desc.name} holds more than ${max} fields and list entries in all: send smaller lists (see each field's limit)`);
  }
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
function walk(desc: DescMessage, bytes: Uint8Array, from: number, to: number, budget: { left: number }, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const fields = fieldsOf(desc);
  const cursor = { at: from };
  while (cursor.at < to) {
    const tag = varint(bytes, cursor, to);
    if (--budget.left < 0) return;
    const number = Math.floor(tag / 8);
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
export function checkJsonElements(desc: DescMessage, text: Uint8Array, max = REQUEST_MAX_ELEMENTS): void {
  let left = max;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === COMMA || c === COLON || c === OPEN_BRACE || c === OPEN_BRACKET) {
      left -= c === COLON ? 2 : 1;
      if (left >= 0) continue;
      throw invalidArgument(`the ${desc.name} holds more than ${max} fields and list entries in all: send smaller lists (see each field's limit)`);
    }
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
