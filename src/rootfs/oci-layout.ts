import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { BerthError } from "../errors/berth-error.js";
import { applyLayer } from "./apply-layer.js";
import { pathExists } from "./path-exists.js";
import { sha256File } from "./sha256-file.js";
import { hostArchitecture } from "./host-architecture.js";

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
}

const MAX_INDEX_DEPTH = 4;

// isOciLayout tells whether dir holds an unpacked OCI image layout.
export async function isOciLayout(dir: string): Promise<boolean> {
  return (await pathExists(join(dir, "oci-layout"))) && (await pathExists(join(dir, "index.json")));
}

// applyOciLayout builds rootfs from the image in the OCI layout at
// layoutDir: index.json -> manifest (this machine's platform when the index
// lists several) -> layers, applied in order, each checked against its
// digest. scratch is a directory for temporary files on rootfs's filesystem.
export async function applyOciLayout(layoutDir: string, rootfs: string, scratch: string): Promise<void> {
  const manifest = await resolveManifest(layoutDir, { digest: "index.json" }, 0);
  const layers = manifest["layers"];
  if (!Array.isArray(layers)) throw badLayout("the image manifest has no layers list");
  for (const [i, layer] of layers.map((value) => asDescriptor(value)).entries()) {
    if (layer.mediaType?.includes("encrypted")) {
      throw badLayout(`layer ${layer.digest} is encrypted, which berth cannot unpack`);
    }
    await applyLayer(await verifiedBlob(layoutDir, layer.digest), rootfs, join(scratch, `layer-${i}`));
  }
}

// resolveManifest follows index entries (nested for multi-platform images)
// down to one image manifest.
async function resolveManifest(layoutDir: string, descriptor: Descriptor, depth: number): Promise<Record<string, unknown>> {
  const path = depth === 0 ? join(layoutDir, "index.json") : await verifiedBlob(layoutDir, descriptor.digest);
  const document = await readJsonObject(path);
  if (Array.isArray(document["layers"])) return document;
  const entries = document["manifests"];
  if (!Array.isArray(entries) || depth >= MAX_INDEX_DEPTH) {
    throw badLayout(`${descriptor.digest} is neither an image index nor a manifest`);
  }
  return resolveManifest(layoutDir, pickPlatform(entries.map((value) => asDescriptor(value))), depth + 1);
}

function pickPlatform(entries: Descriptor[]): Descriptor {
  const arch = hostArchitecture();
  const exact = entries.find((d) => d.platform?.os === "linux" && d.platform.architecture === arch);
  const unlabelled = entries.filter((d) => d.platform === undefined);
  const pick = exact ?? (unlabelled.length === 1 ? unlabelled[0] : entries.length === 1 ? entries[0] : undefined);
  if (pick !== undefined) return pick;
  const offered = entries.map((d) => `${d.platform?.os ?? "?"}/${d.platform?.architecture ?? "?"}`).join(", ");
  throw badLayout(`no image for linux/${arch} among ${entries.length} manifests (${offered})`);
}

// verifiedBlob returns the path of the blob named by digest after checking
// that its content matches; the digest is validated before it forms a path.
async function verifiedBlob(layoutDir: string, digest: string): Promise<string> {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (match === null) throw badLayout(`unsupported or malformed digest ${JSON.stringify(digest)} (berth reads sha256 only)`);
  const hex = match[1] as string;
  const path = join(layoutDir, "blobs", "sha256", hex);
  if (!(await pathExists(path))) throw badLayout(`blob ${digest} is missing`);
  if ((await sha256File(path)) !== hex) throw badLayout(`blob ${digest} does not match its digest (corrupt archive?)`);
  return path;
}

async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw badLayout(`${path} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badLayout(`${path} is not a JSON object`);
  return value as Record<string, unknown>;
}

function asDescriptor(value: unknown): Descriptor {
  const record = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof record["digest"] !== "string") throw badLayout(`a descriptor has no digest: ${JSON.stringify(value)}`);
  const platform = record["platform"] as Record<string, unknown> | undefined;
  return {
    digest: record["digest"],
    ...(typeof record["mediaType"] === "string" ? { mediaType: record["mediaType"] } : {}),
    ...(typeof platform === "object" && platform !== null
      ? { platform: { os: String(platform["os"] ?? ""), architecture: String(platform["architecture"] ?? "") } }
      : {}),
  };
}

function badLayout(why: string): BerthError {
  return new BerthError(
    "invalid_argument",
    `unusable OCI image layout: ${why}; export the image again (e.g. \`skopeo copy docker://busybox oci-archive:image.tar\`)`,
  );
}
