// Descriptors (mediaType, digest, size) read from a registry's manifest,
// checked before any part of them forms a URL or a path: a digest must be
// sha256 hex and a size a whole number, or the manifest is refused.
import { BerthError } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { Platform } from "./platform.js";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function badManifest(where: string, why: string): BerthError {
  return new BerthError("failed_precondition", `${where}: the manifest is not one berth can pull: ${why}`);
}

export function descriptorOf(value: unknown, where: string, what: string): Descriptor {
  const d = (value ?? {}) as Record<string, unknown>;
  if (typeof d["digest"] !== "string" || !DIGEST.test(d["digest"])) {
    throw badManifest(where, `${what} has digest ${quote(String(d["digest"]))}, not sha256:<64 hex digits>`);
  }
  const size = d["size"];
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw badManifest(where, `${what} ${d["digest"]} has no usable size`);
  const out: Descriptor = { mediaType: typeof d["mediaType"] === "string" ? d["mediaType"] : "", digest: d["digest"], size };
  const p = d["platform"] as Record<string, unknown> | undefined;
  if (p !== undefined && typeof p["os"] === "string" && typeof p["architecture"] === "string") {
    out.platform = { os: p["os"], architecture: p["architecture"], ...(typeof p["variant"] === "string" && p["variant"] !== "" && { variant: p["variant"] }) };
  }
  return out;
}
