// imageCalls are LocalClient's image operations (ImageService's List,
// Inspect, Tag, Remove, Prune, Load and Save): each checks its request's
// bounds, then hands it to the engine's ImageOps. The store is the
// daemon's; the namespace only says where the image events go.
import type { Readable } from "node:stream";

import { BerthError } from "../errors/berth-error.js";
import type { ImageOps } from "../engine/image-ops.js";
import type { Image } from "../gen/berth/v1/images_pb.js";
import { IMAGE_REFERENCE_MAX_BYTES, SAVE_IMAGES_MAX_ENTRIES, checkCount, checkText } from "../spec/request-limits.js";
import type { ImageListOptions, ImagePruneOptions, ImagePruneResult, ImageRemoveOptions, ImageRemoveResult, ImageStreamOptions } from "../api/image-options.js";

const reference = (field: string, value: unknown): string => checkText(field, value, IMAGE_REFERENCE_MAX_BYTES);

export class ImageCalls {
  constructor(
    private readonly images: ImageOps,
    private readonly namespace: string,
  ) {}

  list(options: ImageListOptions = {}): Promise<Image[]> {
    return this.images.list(options.dangling === true);
  }

  async inspect(image: string): Promise<Image> {
    return this.images.inspect(reference("image", image));
  }

  async tag(source: string, target: string): Promise<Image> {
    return this.images.tagView(this.namespace, reference("source", source), reference("target", target));
  }

  async remove(image: string, options: ImageRemoveOptions = {}): Promise<ImageRemoveResult> {
    return this.images.remove(this.namespace, reference("image", image), options.force === true);
  }

  async prune(options: ImagePruneOptions = {}): Promise<ImagePruneResult> {
    const { untagged, deleted, reclaimedBytes } = await this.images.prune(this.namespace, options.all === true);
    return { untagged, deleted, reclaimedBytes: BigInt(reclaimedBytes) };
  }

  load(archive: AsyncIterable<Uint8Array>, options: ImageStreamOptions = {}): Promise<Image[]> {
    return this.images.archives.loadStream(this.namespace, archive, options.signal);
  }

  // save checks and finds every image before the first byte; the archive
  // is read as the caller pulls it, and ends quietly with the signal.
  async *save(images: readonly string[], options: ImageStreamOptions = {}): AsyncGenerator<Uint8Array> {
    checkCount("images", images.length, SAVE_IMAGES_MAX_ENTRIES);
    images.forEach((image, i) => reference(`images[${i}]`, image));
    if (images.length === 0) throw new BerthError("invalid_argument", "name at least one image to save");
    const archive: Readable = await this.images.archives.save(images);
    const stop = () => archive.destroy();
    options.signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const chunk of archive) {
        if (options.signal?.aborted === true) return;
        yield chunk as Uint8Array;
      }
    } catch (err) {
      // The caller's signal ending the archive is its request, as with
      // GrpcClient's streams, not a failure.
      if (options.signal?.aborted !== true) throw err;
    } finally {
      options.signal?.removeEventListener("abort", stop);
      archive.destroy();
    }
  }
}
