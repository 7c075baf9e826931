// @ts-check
// Just enough of the protobuf wire format to read the event payloads that
// arrive inside google.protobuf.Any (containerd's TaskExit and friends) and
// to write the runc shim's Options, without a second protobuf library.

/**
 * @typedef {Map<number, (number | Buffer)[]>} Fields
 * field number -> values: varints as numbers (up to 2^53), length-delimited
 * fields as Buffers; fixed32/fixed64 fields are skipped.
 */

/**
 * decodeFields reads the top-level fields of one message.
 * @param {Uint8Array} bytes
 * @returns {Fields}
 */
export function decodeFields(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  /** @type {Fields} */
  const fields = new Map();
  let pos = 0;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error("truncated varint");
      const byte = /** @type {number} */ (buf[pos++]);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    /** @type {number | Buffer | undefined} */
    let value;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = varint();
      value = buf.subarray(pos, pos + length);
      pos += length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (value !== undefined) fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

/**
 * stringField returns the first value of a string field ("" when unset).
 * @param {Fields} fields
 * @param {number} n
 */
export function stringField(fields, n) {
  const value = fields.get(n)?.[0];
  return Buffer.isBuffer(value) ? value.toString("utf8") : "";
}

/**
 * numberField returns the first value of a varint field (0 when unset).
 * @param {Fields} fields
 * @param {number} n
 */
export function numberField(fields, n) {
  const value = fields.get(n)?.[0];
  return typeof value === "number" ? value : 0;
}

/**
 * encodeStrings encodes a message made only of string fields.
 * @param {Record<number, string>} fields
 * @returns {Buffer}
 */
export function encodeStrings(fields) {
  /** @type {Buffer[]} */
  const parts = [];
  for (const [n, value] of Object.entries(fields)) {
    const bytes = Buffer.from(value, "utf8");
    parts.push(encodeVarint(Number(n) * 8 + 2), encodeVarint(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/** @param {number} value */
function encodeVarint(value) {
  /** @type {number[]} */
  const out = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
