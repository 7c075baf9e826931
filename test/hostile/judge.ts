// judge holds one answer to the rules every hostile call must keep: a
// proper status code (never UNKNOWN, never INTERNAL for a client's mistake,
// never UNAVAILABLE while the daemon is up), an answer before the deadline,
// a status message under 1 KiB, and, where the request makes a mistake the
// .proto or README names, a code that reports that mistake.
import type { CallResult } from "./hostile-caller.js";
import type { Judged } from "./case-types.js";

export const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];
export const codeName = (code: number): string => CODE_NAMES[code] ?? `code ${code}`;

// The codes a client's request may be answered with.
const PROPER = new Set([0, 3, 5, 6, 9, 10, 11]);
// ImageService may also refuse for a registry's sake: PERMISSION_DENIED
// (a registry the daemon may not reach, or one refusing access) and
// UNAUTHENTICATED (credentials missing or refused).
const PROPER_IMAGES = new Set([...PROPER, 7, 16]);
const RESOURCE_EXHAUSTED = 8;
const DEADLINE_EXCEEDED = 4;
export const MAX_MESSAGE_BYTES = 1024;
// SLACK_MS is how late past its deadline an answer may arrive (timers).
const SLACK_MS = 250;

export interface Violation {
  // kind names the rule, for grouping defects into classes.
  kind: string;
  text: string;
}

export function judgeResult(j: Judged, r: CallResult): Violation[] {
  const out: Violation[] = [];
  const name = codeName(r.code);
  const bytes = Buffer.byteLength(r.details ?? "");
  if (r.error === true || r.code < 0) {
    return [{ kind: "suite", text: `the suite could not make the call: ${r.details}` }];
  }
  if (!r.open) {
    const proper =
      (j.service === "ImageService" ? PROPER_IMAGES : PROPER).has(r.code) ||
      (r.code === RESOURCE_EXHAUSTED && j.big && !/metadata/i.test(r.details)) ||
      (r.code === DEADLINE_EXCEEDED && j.mayBlock);
    if (!proper) {
      const why =
        r.code === 13
          ? "INTERNAL for a client's request"
          : r.code === 2
            ? "UNKNOWN"
            : r.code === 14
              ? "UNAVAILABLE while the daemon is up"
              : r.code === DEADLINE_EXCEEDED
                ? `no answer within the ${j.deadlineMs} ms deadline`
                : r.code === RESOURCE_EXHAUSTED
                  ? /metadata/i.test(r.details)
                    ? "RESOURCE_EXHAUSTED from oversized response metadata (an echoed value too long for a default client)"
                    : "RESOURCE_EXHAUSTED for a request under any size limit"
                  : `${name} is not a proper answer`;
      out.push({ kind: why, text: `${why}: ${name} "${cut(r.details)}"` });
    }
  }
  if (r.elapsedMs > j.deadlineMs + SLACK_MS) {
    out.push({ kind: "answer after the deadline", text: `answered after ${Math.round(r.elapsedMs)} ms, past its ${j.deadlineMs} ms deadline` });
  }
  if (bytes >= MAX_MESSAGE_BYTES) {
    out.push({ kind: "status message over 1 KiB", text: `the status message is ${bytes} bytes (at most ${MAX_MESSAGE_BYTES - 1}): "${cut(r.details)}"` });
  }
  const settledCode = r.open ? 0 : r.code;
  if (j.mistakes.length > 0) {
    const codes = new Set(j.mistakes.flatMap((m) => m.codes));
    if (!codes.has(settledCode) && !(settledCode === RESOURCE_EXHAUSTED && j.big && !/metadata/i.test(r.details))) {
      const want = [...codes].map(codeName).join(" or ");
      const got = r.open ? "the stream stayed open (accepted)" : `${name} "${cut(r.details)}"`;
      out.push({ kind: `expected ${want} for: ${j.mistakes.map((m) => m.why).join("; ")}`, text: `expected ${want} (${j.mistakes.map((m) => m.why).join("; ")}), got ${got}` });
    }
  } else if (j.expectOk !== undefined && settledCode !== 0) {
    out.push({ kind: "a valid request refused", text: `expected OK (${j.expectOk}), got ${name} "${cut(r.details)}"` });
  }
  return out;
}

export function cut(text: string, max = 300): string {
  const t = text ?? "";
  return t.length > max ? `${t.slice(0, max)}… (${t.length} chars)` : t;
}

// summarize renders a request for a failure message: long strings and
// arrays are shown by their size, not in full.
export function summarize(value: unknown, depth = 0): string {
  if (value !== null && typeof value === "object" && "$repeat" in value) {
    const r = value as { $repeat: number; item: unknown; head?: unknown[] };
    return `[${(r.head ?? []).map((v) => `${summarize(v, depth + 1)}, `).join("")}${r.$repeat} × ${summarize(r.item, depth + 1)} ("{i}" the index)]`;
  }
  if (value !== null && typeof value === "object" && "$entries" in value) {
    const r = value as { $entries: number; key: string; value: string };
    return `{ ${r.$entries} × ${summarize(r.key)}: ${summarize(r.value)} ("{i}" the index) }`;
  }
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} chars)` : JSON.stringify(value);
    return shown;
  }
  if (value instanceof Uint8Array) {
    const text = Buffer.from(value.subarray(0, 60)).toString("utf8");
    const printable = /^[\x20-\x7e\n\t]*$/.test(text);
    return `<${value.length} bytes${printable ? ` ${JSON.stringify(text)}${value.length > 60 ? "…" : ""}` : `: ${Buffer.from(value.subarray(0, 16)).toString("hex")}…`}>`;
  }
  if (Array.isArray(value)) {
    if (value.length > 6) return `[${value.slice(0, 3).map((v) => summarize(v, depth + 1)).join(", ")}, … (${value.length} items)]`;
    return `[${value.map((v) => summarize(v, depth + 1)).join(", ")}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    const shown = entries.slice(0, 12).map(([k, v]) => `${k.length > 40 ? summarize(k) : k}: ${depth > 4 ? "…" : summarize(v, depth + 1)}`);
    if (entries.length > 12) shown.push(`… (${entries.length} keys)`);
    return `{ ${shown.join(", ")} }`;
  }
  return String(value);
}
