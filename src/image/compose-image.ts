// composeImage writes the config and manifest of an image made here (the
// built-in busybox, a root filesystem archive, a legacy `docker save`
// image) around layers already in the store, and returns the manifest's
// digest. The same input gives the same digests, so making it again finds
// the image already there.
import { Readable } from "node:stream";

import { sha256Digest } from "./digest.js";
import { MEDIA, type Descriptor } from "./image-manifest.js";
import type { ImageStore } from "./image-store.js";

import { hostArchitecture } from "../rootfs/host-architecture.js";

export { hostArchitecture };

export interface ComposeInput {
  layers: Descriptor[];
  diffIds: string[];
  // config is the image config's "config" object (Cmd, Env, ...).
  config: Record<string, unknown>;
  // configBytes, when given, is the whole config document as it came.
  configBytes?: Buffer;
  created?: string;
}

export async function composeImage(store: ImageStore, input: ComposeInput): Promise<string> {
  const config =
    input.configBytes ??
    Buffer.from(
      JSON.stringify({
        architecture: hostArchitecture(),
        os: "linux",
        ...(input.created !== undefined && { created: input.created }),
        config: input.config,
        rootfs: { type: "layers", diff_ids: input.diffIds },
      }),
    );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: sha256Digest(config), size: config.length },
      layers: input.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  await store.ingest(sha256Digest(config), config.length, Readable.from([config]));
  const digest = sha256Digest(manifest);
  await store.ingest(digest, manifest.length, Readable.from([manifest]));
  return digest;
}
