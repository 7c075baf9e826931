// registryPuller is the registry client in the shape of the engine's puller
// seam: a Create naming an image the store lacks pulls it into that store
// (the engine's own, so there is one index of images) and gets back the
// image as recorded.
import { BerthError } from "../errors/berth-error.js";
import type { ImageEntry } from "../image/image-records.js";
import type { ImageStore } from "../image/image-store.js";
import type { RegistryClient } from "./registry-client.js";

export type StorePuller = (reference: string, store: ImageStore, options: { signal?: AbortSignal }) => Promise<{ image: ImageEntry; untagged?: string }>;

export function registryPuller(registry: RegistryClient): StorePuller {
  return async (reference, store, options) => {
    const pulled = await registry.pull(reference, { sink: store, ...(options.signal !== undefined && { signal: options.signal }) });
    const image = store.records().images[pulled.digest];
    if (image === undefined) throw new BerthError("internal", `image ${pulled.digest} was pulled but is not in the store's records`);
    return { image, ...(pulled.untagged !== undefined && { untagged: pulled.untagged }) };
  };
}
