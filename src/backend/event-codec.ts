// The journal's record format: one Event per line in proto3 JSON (field
// names in lowerCamelCase, uint64 as a string, Timestamp as RFC 3339), so a
// segment can be read with `jq` or with fromJsonString(EventSchema, line).
// Encoding and decoding are written by hand because the reflective
// toBinary/toJson cost several microseconds per event, which the publish
// path cannot afford at 100k events/s.
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { EventSchema, type Event } from "../gen/berth/v1/types_pb.js";

// encodeEventLine renders an event as one newline-terminated JSON line. The
// fixed fields are spliced in by hand; only strings go through
// JSON.stringify, which escapes them.
export function encodeEventLine(event: Event): string {
  const timestamp = event.timestamp === undefined ? "" : `,"timestamp":"${formatTimestamp(event.timestamp)}"`;
  return (
    `{"sequence":"${event.sequence}","namespace":${JSON.stringify(event.namespace)}` +
    `,"containerId":${JSON.stringify(event.containerId)},"processId":${JSON.stringify(event.processId)}` +
    `,"type":${event.type},"pid":${event.pid},"exitCode":${event.exitCode}${timestamp},"oomKilled":${event.oomKilled}` +
    // Written only when set: it is rare, and older readers skip it anyway.
    `${event.monitorDied ? ',"monitorDied":true' : ""}${event.revision === 0n ? "" : `,"revision":"${event.revision}"`}` +
    `${event.hookStage === "" ? "" : `,"hookStage":${JSON.stringify(event.hookStage)},"hookMessage":${JSON.stringify(event.hookMessage)}`}` +
    `${event.network === "" ? "" : `,"network":${JSON.stringify(event.network)}`}${event.address === "" ? "" : `,"address":${JSON.stringify(event.address)}`}` +
    `${event.image === "" ? "" : `,"image":${JSON.stringify(event.image)},"imageId":${JSON.stringify(event.imageId)}`}}\n`
  );
}

// decodeEventLine parses one line (without its newline). It returns
// undefined for anything malformed rather than throwing, because the caller
// treats the first bad record as the end of what can be trusted.
export function decodeEventLine(line: string): Event | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const r = parsed as Record<string, unknown>;
  if (typeof r.sequence !== "string" || !/^\d+$/.test(r.sequence)) return undefined;
  const timestamp = r.timestamp === undefined ? undefined : parseTimestamp(r.timestamp);
  if (timestamp === null) return undefined;
  const text = (v: unknown) => (v === undefined ? "" : typeof v === "string" ? v : null);
  const int = (v: unknown) => (v === undefined ? 0 : Number.isInteger(v) ? (v as number) : null);
  const namespace = text(r.namespace);
  const containerId = text(r.containerId);
  const processId = text(r.processId);
  const network = text(r.network);
  const address = text(r.address);
  const type = int(r.type);
  const pid = int(r.pid);
  const exitCode = int(r.exitCode);
  const oomKilled = r.oomKilled ?? false;
  const monitorDied = r.monitorDied ?? false;
  // Absent in lines written before events carried revisions.
  const revision = r.revision === undefined ? 0n : typeof r.revision === "string" && /^\d+$/.test(r.revision) ? BigInt(r.revision) : null;
  if (revision === null) return undefined;
  const hookStage = text(r.hookStage);
  const hookMessage = text(r.hookMessage);
  if (hookStage === null || hookMessage === null) return undefined;
  if (namespace === null || containerId === null || processId === null || network === null || address === null) return undefined;
  const image = text(r.image);
  const imageId = text(r.imageId);
  if (image === null || imageId === null) return undefined;
  if (type === null || pid === null || exitCode === null || typeof oomKilled !== "boolean" || typeof monitorDied !== "boolean") return undefined;
  return create(EventSchema, {
    sequence: BigInt(r.sequence),
    namespace,
    containerId,
    processId,
    type,
    pid,
    exitCode,
    timestamp,
    oomKilled,
    monitorDied,
    revision,
    hookStage,
    hookMessage,
    network,
    address,
    image,
    imageId,
  });
}

// Proto3 JSON allows 0, 3, 6 or 9 fractional digits; events carry
// millisecond times, so 3 is the common case and 9 keeps anything finer.
// Events come in bursts within one second, so that second's text is cached.
let cachedSeconds: bigint | undefined;
let cachedPrefix = "";

function formatTimestamp(ts: Timestamp): string {
  if (ts.seconds !== cachedSeconds) {
    cachedPrefix = new Date(Number(ts.seconds) * 1000).toISOString().slice(0, 19);
    cachedSeconds = ts.seconds;
  }
  const fraction = ts.nanos % 1e6 === 0 ? String(ts.nanos / 1e6).padStart(3, "0") : String(ts.nanos).padStart(9, "0");
  return `${cachedPrefix}.${fraction}Z`;
}

const RFC3339_UTC = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/;

// parseTimestamp returns null (not undefined) for a malformed value, so the
// caller can tell "absent" from "bad".
function parseTimestamp(value: unknown): Timestamp | null {
  if (typeof value !== "string") return null;
  const m = RFC3339_UTC.exec(value);
  if (m === null) return null;
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) return null;
  return {
    $typeName: "google.protobuf.Timestamp",
    seconds: BigInt(ms / 1000),
    nanos: Number((m[2] ?? "").padEnd(9, "0")),
  };
}
