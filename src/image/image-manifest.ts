// The image documents berth reads: an image manifest (OCI, or Docker's
// schema 2, which has the same shape) and its config. Indexes and manifest
// lists are resolved to one manifest before they get here (by the puller,
// or by a load choosing this host's platform).
import { invalidArgument } from "../errors/berth-error.js";
import { isDigest } from "./digest.js";

export const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

// ImageConfig is the part of an image's config that berth uses.
export interface ImageConfig {
  architecture: string;
  os: string;
  created?: string;
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  exposedPorts: string[];
  stopSignal: string;
  labels: Record<string, string>;
  diffIds: string[];
}

export function asDescriptor(value: unknown, what: string): Descriptor {
  const v = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v["digest"] !== "string" || !isDigest(v["digest"])) throw invalidArgument(`${what} has no sha256 digest`);
  const size = v["size"];
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw invalidArgument(`${what} ${v["digest"]} has no valid size`);
  const platform = v["platform"] as Record<string, unknown> | undefined;
  return {
    mediaType: typeof v["mediaType"] === "string" ? v["mediaType"] : "",
    digest: v["digest"],
    size,
    ...(typeof v["annotations"] === "object" && v["annotations"] !== null && { annotations: stringMap(v["annotations"]) }),
    ...(typeof platform === "object" &&
      platform !== null && {
        platform: { os: String(platform["os"] ?? ""), architecture: String(platform["architecture"] ?? ""), ...(typeof platform["variant"] === "string" && { variant: platform["variant"] }) },
      }),
  };
}

// isIndex tells an index or manifest list from an image manifest.
export function isIndex(doc: Record<string, unknown>): boolean {
  return Array.isArray(doc["manifests"]) && !Array.isArray(doc["layers"]);
}

export function parseManifest(doc: Record<string, unknown>, digest: string): ImageManifest {
  if (!Array.isArray(doc["layers"])) throw invalidArgument(`${digest} is not an image manifest (it has no layers list)`);
  const layers = doc["layers"].map((l, i) => asDescriptor(l, `layer ${i} of manifest ${digest}`));
  for (const layer of layers) {
    if (layer.mediaType.includes("encrypted")) throw invalidArgument(`layer ${layer.digest} is encrypted, which berth cannot unpack`);
  }
  return { config: asDescriptor(doc["config"], `the config of manifest ${digest}`), layers };
}

export function parseConfig(doc: Record<string, unknown>, digest: string): ImageConfig {
  const c = (typeof doc["config"] === "object" && doc["config"] !== null ? doc["config"] : {}) as Record<string, unknown>;
  const rootfs = (doc["rootfs"] ?? {}) as Record<string, unknown>;
  const diffIds = Array.isArray(rootfs["diff_ids"]) ? rootfs["diff_ids"] : undefined;
  if (diffIds === undefined || !diffIds.every((d) => typeof d === "string" && isDigest(d))) {
    throw invalidArgument(`image config ${digest} has no rootfs.diff_ids of sha256 digests`);
  }
  return {
    architecture: String(doc["architecture"] ?? ""),
    os: String(doc["os"] ?? ""),
    ...(typeof doc["created"] === "string" && { created: doc["created"] }),
    entrypoint: stringList(c["Entrypoint"]),
    cmd: stringList(c["Cmd"]),
    env: stringList(c["Env"]),
    workingDir: typeof c["WorkingDir"] === "string" ? c["WorkingDir"] : "",
    user: typeof c["User"] === "string" ? c["User"] : "",
    exposedPorts: typeof c["ExposedPorts"] === "object" && c["ExposedPorts"] !== null ? Object.keys(c["ExposedPorts"]).sort() : [],
    stopSignal: typeof c["StopSignal"] === "string" ? c["StopSignal"] : "",
    labels: stringMap(c["Labels"]),
    diffIds: diffIds as string[],
  };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"));
}
