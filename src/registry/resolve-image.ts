// resolveImage turns a reference into the one manifest to pull: it fetches
// the tag's (or digest's) manifest, checks its digest, and when that is an
// index (OCI) or manifest list (Docker) picks the entry for the platform
// wanted and fetches that, as containerd's resolver and
// images.Manifest do.
import { createHash } from "node:crypto";

import { BerthError, dataLoss, failedPrecondition, notFound } from "../errors/berth-error.js";
import { badManifest, descriptorOf, type Descriptor } from "./descriptor.js";
import { formatReference, type ImageReference } from "../image/reference.js";
import { ACCEPT_MANIFESTS, isIndex, isManifest, isSchema1 } from "./media-types.js";
import { choosePlatform, formatPlatform, type Platform } from "./platform.js";
import { readBody } from "./read-body.js";
import type { RegistryApi } from "./registry-api.js";

// Manifests are small; 4 MiB is containerd's limit too.
const MAX_MANIFEST_BYTES = 4 << 20;

export interface ManifestBlob {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface ResolvedImage {
  // index is the index or manifest list the tag named, when it was one.
  index?: ManifestBlob;
  manifest: ManifestBlob;
  config: Descriptor;
  layers: Descriptor[];
  platform: Platform;
}

export async function resolveImage(api: RegistryApi, ref: ImageReference, want: Platform, signal: AbortSignal): Promise<ResolvedImage> {
  const where = formatReference(ref);
  const top = await fetchManifest(api, ref.digest ?? ref.tag!, ref.digest, where, signal);
  let index: ManifestBlob | undefined;
  let manifest = top;
  if (isIndex(top.mediaType)) {
    index = top;
    const entries = arrayOf(parse(top, where)["manifests"], where, "manifests").map((m, i) => descriptorOf(m, where, `manifests[${i}]`));
    const chosen = choosePlatform(
      entries.map((e) => e.platform),
      want,
    );
    if (chosen < 0) {
      const offered = [...new Set(entries.flatMap((e) => (e.platform === undefined ? [] : [formatPlatform(e.platform)])))].join(", ");
      throw notFound(`registry ${api.endpoint.host} has no ${formatPlatform(want)} image for ${where} (it has ${offered || "no platforms listed"})`);
    }
    manifest = await fetchManifest(api, entries[chosen]!.digest, entries[chosen]!.digest, where, signal);
    if (!isManifest(manifest.mediaType)) throw badManifest(where, `the index entry for ${formatPlatform(want)} is ${manifest.mediaType}, not an image manifest`);
  }
  const body = parse(manifest, where);
  const config = descriptorOf(body["config"], where, "config");
  const layers = arrayOf(body["layers"], where, "layers").map((l, i) => descriptorOf(l, where, `layers[${i}]`));
  return { ...(index !== undefined && { index }), manifest, config, layers, platform: want };
}

async function fetchManifest(api: RegistryApi, tagOrDigest: string, expected: string | undefined, where: string, signal: AbortSignal): Promise<ManifestBlob> {
  const res = await api.get(`${api.repository}/manifests/${tagOrDigest}`, ACCEPT_MANIFESTS, `manifest ${tagOrDigest}`, signal);
  const bytes = await readBody(res.body, MAX_MANIFEST_BYTES, signal);
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (expected !== undefined && digest !== expected) {
    throw dataLoss(`registry ${api.endpoint.host} sent a manifest for ${where} whose digest is ${digest}, not ${expected}`);
  }
  const said = res.headers["docker-content-digest"];
  if (typeof said === "string" && said.startsWith("sha256:") && said !== digest) {
    throw dataLoss(`registry ${api.endpoint.host} sent a manifest for ${where} whose digest is ${digest}, not the ${said} it announced`);
  }
  const headerType = String(res.headers["content-type"] ?? "").split(";")[0]!.trim();
  let mediaType = headerType;
  try {
    const declared = (JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown }).mediaType;
    if (typeof declared === "string" && declared !== "") mediaType = declared;
  } catch {
    throw badManifest(where, "it is not JSON");
  }
  if (isSchema1(mediaType) || isSchema1(headerType)) {
    throw failedPrecondition(`${where} is a Docker schema 1 image, which berth does not pull; push it again with a current client`);
  }
  if (!isIndex(mediaType) && !isManifest(mediaType)) throw badManifest(where, `its media type is ${JSON.stringify(mediaType.slice(0, 80))}`);
  return { digest, mediaType, bytes };
}

function parse(blob: ManifestBlob, where: string): Record<string, unknown> {
  const body = JSON.parse(blob.bytes.toString("utf8")) as unknown;
  if (typeof body !== "object" || body === null) throw badManifest(where, "it is not a JSON object");
  return body as Record<string, unknown>;
}

function arrayOf(value: unknown, where: string, field: string): unknown[] {
  if (!Array.isArray(value)) throw badManifest(where, `it has no ${field} list`);
  if (value.length > 1024) throw new BerthError("failed_precondition", `${where}: its ${field} list has ${value.length} entries, more than 1024`);
  return value;
}
