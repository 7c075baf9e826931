// builtInPull answers a Pull of a built-in image (berth.local, made here,
// never asked of a registry) as the registry client answers a pull whose
// every layer was already in the store.
import { create } from "@bufbuild/protobuf";

import { PulledImageSchema, PullProgress_State, PullProgressSchema, type PulledImage, type PullProgress } from "../gen/berth/v1/images_pb.js";
import type { ImageEntry } from "../image/image-records.js";
import type { ImageStore } from "../image/image-store.js";

export async function builtInPull(store: ImageStore, image: ImageEntry, name: string, onProgress?: (p: PullProgress) => void): Promise<PulledImage> {
  const manifest = await store.content.readJson(image.manifest);
  const config = await store.config(image);
  const layerSizes = await Promise.all(image.layers.map((l) => store.content.size(l)));
  for (const [i, digest] of image.layers.entries()) {
    const bytes = BigInt(layerSizes[i]!);
    onProgress?.(create(PullProgressSchema, { digest, state: PullProgress_State.EXISTS, doneBytes: bytes, totalBytes: bytes }));
  }
  const size = (await store.content.size(image.manifest)) + (await store.content.size(image.config)) + layerSizes.reduce((a, b) => a + b, 0);
  return create(PulledImageSchema, {
    reference: name,
    digest: image.manifest,
    mediaType: typeof manifest["mediaType"] === "string" ? manifest["mediaType"] : "",
    configDigest: image.config,
    layerDigests: image.layers,
    size: BigInt(size),
    platform: `${config.os}/${config.architecture}`,
  });
}
