// ImageArchives are the engine's Load and Save: an archive streamed by a
// client is spooled (bounded by the daemon's maxImageArchiveBytes, as sent
// and as decompressed), loaded under a lease, and announced (IMAGE_UNTAG
// for each name it moved off another image, then IMAGE_LOAD); a load that
// fails keeps nothing of it. Save holds a lease on the images' blobs from
// before its first byte to its last.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

import { BerthError, resourceExhausted } from "../errors/berth-error.js";
import type { Image } from "../gen/berth/v1/images_pb.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { checkImageName, ImageCatalog } from "../image/image-catalog.js";
import type { ImageEntry } from "../image/image-records.js";
import type { ImageStore } from "../image/image-store.js";
import { normalizeReference } from "../image/reference.js";
import type { SavedImage } from "../image/save-images.js";
import { imageView } from "./image-views.js";

// DEFAULT_MAX_IMAGE_ARCHIVE_BYTES bounds one Load: larger than any image
// one means to run, small enough that one client cannot fill the disk.
export const DEFAULT_MAX_IMAGE_ARCHIVE_BYTES = 16 * 1024 ** 3;

export interface ImageEvents {
  store(): Promise<ImageStore>;
  publish(namespace: string, type: EventType, image: string, imageId: string): void;
  // untagged announces that name left the image of manifest.
  untagged(namespace: string, name: string, manifest: string): void;
}

export class ImageArchives {
  constructor(
    private readonly ops: ImageEvents,
    readonly maxBytes: number = DEFAULT_MAX_IMAGE_ARCHIVE_BYTES,
  ) {}

  // loadStream spools an archive streamed by a client into the store's
  // ingest folder (cleared at start, so a crash leaves nothing), loads it
  // and removes the spool.
  async loadStream(namespace: string, chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Image[]> {
    const store = await this.ops.store();
    const spool = store.content.tempPath("archive");
    try {
      await pipeline(Readable.from(chunks, { objectMode: false }), limitBytes(this.maxBytes, "as sent"), createWriteStream(spool, { mode: 0o600 }), signal ? { signal } : {}).catch((err: unknown) => {
        if (signal?.aborted === true) throw new BerthError("canceled", "the load was cancelled; nothing of it was kept");
        throw err;
      });
      const loaded = await this.load(namespace, spool, signal);
      const catalog = new ImageCatalog(store);
      return Promise.all(loaded.map((i) => imageView(catalog, i)));
    } finally {
      await rm(spool, { force: true });
    }
  }

  async load(namespace: string, archivePath: string, signal?: AbortSignal): Promise<ImageEntry[]> {
    const { loadImages } = await import("../image/load-images.js");
    const store = await this.ops.store();
    let loaded;
    try {
      loaded = await store.withLease("load", () => loadImages(store, archivePath, { ...(signal !== undefined && { signal }), limit: (what) => limitBytes(this.maxBytes, what) }));
    } catch (err) {
      // What the load wrote, its lease released, is no image's: gone now.
      await store.locked(() => store.collectGarbage());
      throw err;
    }
    for (const { image, names, moved } of loaded) {
      for (const { name, from } of moved) this.ops.untagged(namespace, name, from);
      if (names.length === 0) this.ops.publish(namespace, EventType.IMAGE_LOAD, image.config, image.config);
      for (const name of names) this.ops.publish(namespace, EventType.IMAGE_LOAD, name, image.config);
    }
    return loaded.map((l) => l.image);
  }

  async save(references: readonly string[]): Promise<Readable> {
    const { saveImages } = await import("../image/save-images.js");
    references.forEach(checkImageName);
    const catalog = new ImageCatalog(await this.ops.store());
    // Found and held in one step under the store's lock, so no prune or
    // remove comes between: they may untag and delete the images while the
    // archive streams, but their blobs stay until it ends.
    const { images, lease } = await catalog.store.locked(async () => {
      const images = references.map((ref) => savedImage(catalog, ref));
      const lease = catalog.store.openLease("save");
      for (const { image } of images) lease.hold([image.manifest, image.config, ...image.layers]);
      return { images, lease };
    });
    return saveImages(catalog.store, images, lease);
  }
}

// savedImage is the image ref names, with the names the archive gives it:
// the one named, or every name of an image named by id.
function savedImage(catalog: ImageCatalog, ref: string): SavedImage {
  const image = catalog.get(ref);
  let names: string[];
  try {
    const name = normalizeReference(ref);
    names = catalog.tagsOf(image.manifest).includes(name) ? [name] : catalog.tagsOf(image.manifest);
  } catch {
    names = catalog.tagsOf(image.manifest);
  }
  return { image, names };
}

// limitBytes passes at most max bytes, then fails RESOURCE_EXHAUSTED
// naming the limit; what says which bytes it counts.
export function limitBytes(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > max) done(resourceExhausted(`the image archive is larger (${what}) than this daemon's limit of ${max} bytes (maxImageArchiveBytes, berth serve --max-image-archive-size); nothing of it was kept`));
      else done(null, chunk);
    },
  });
}
