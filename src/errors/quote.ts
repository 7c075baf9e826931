// quote renders a client's value for an error message. Messages travel in
// the grpc-message header, and a default client refuses metadata over 8 KiB
// (RESOURCE_EXHAUSTED instead of the real error), so a value is JSON-quoted
// (control characters escaped) and cut to a short prefix that still lets
// the caller recognise it, with its full size in bytes.

// QUOTE_MAX_CHARS is how much of a value a message shows.
export const QUOTE_MAX_CHARS = 64;

export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : value === undefined ? "" : String(value);
  if (text.length <= QUOTE_MAX_CHARS) return JSON.stringify(text);
  // Never cut a surrogate pair in half: the message must stay valid UTF-16.
  let end = QUOTE_MAX_CHARS;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${JSON.stringify(text.slice(0, end))}…(${Buffer.byteLength(text, "utf8")} bytes)`;
}
