// ContentSink is what a pull writes into: the image store (ImageStore has
// this shape; the registry's own tests give a folder). Blobs go in by
// digest, then the image is committed, which makes it visible, so a pull
// cut short at any point before commitImage leaves no image.
import type { Readable } from "node:stream";

export interface ContentSink {
  // has says whether the blob is already complete in the store.
  has(digest: string): Promise<boolean>;
  // ingest stores readable's bytes as the blob digest. It must make the
  // blob visible only once readable has ended without error and size and
  // digest check out, and keep nothing when readable fails (a digest
  // mismatch found by the pull, a cancellation) or signal aborts.
  ingest(digest: string, size: number, readable: Readable, options: { signal?: AbortSignal }): Promise<void>;
  // prepareLayer, when the sink has it, readies layer index (layerDigest,
  // stored) of the image whose config (configDigest) is stored, ahead of
  // commitImage: the pull calls it as each layer arrives.
  prepareLayer?(configDigest: string, layerDigest: string, index: number): Promise<void>;
  // commitImage records the image whose manifest and blobs are all in,
  // and points name (when given) at it; untagged is the manifest name
  // pointed at before, when it moved.
  commitImage(name: string | undefined, manifestDigest: string, options: { repoDigest?: string }): Promise<{ untagged?: string }>;
}

export interface BlobRef {
  digest: string;
  size: number;
}
