// ImageOps is the engine's side of the image store: it opens the store once,
// resolves the image a Create names (pulling it when the policy says so,
// through the puller the daemon was given), holds a lease for each
// container made from an image, and publishes image events on the same
// bus as container events (no container id; Event.image and image_id).
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { EventBus } from "../backend/event-bus.js";
import { BerthError, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { Image, PulledImage, PullProgress } from "../gen/berth/v1/images_pb.js";
import { EventType, PullPolicy } from "../gen/berth/v1/types_pb.js";
import { BUSYBOX_IMAGE, builtInImage, ensureBusyboxImage, isBuiltInName } from "../image/busybox-image.js";
import { importArchive } from "../image/archive-image.js";
import { checkImageName, ImageCatalog, type PruneResult, type RemoveResult } from "../image/image-catalog.js";
import type { ImageConfig } from "../image/image-manifest.js";
import type { ImageEntry } from "../image/image-records.js";
import { ImageStore } from "../image/image-store.js";
import { normalizeReference, parseReference } from "../image/reference.js";
import { builtInPull } from "./built-in-pull.js";
import { imageView, imageViews } from "./image-views.js";

export interface PullOptions {
  signal?: AbortSignal;
}

// Puller fetches reference from its registry into store (ingest, then
// commitImage) and returns the image. The registry client provides it.
export type Puller = (reference: string, store: ImageStore, options: PullOptions) => Promise<ImageEntry>;

export interface CreateImage {
  image: ImageEntry;
  reference: string;
  // config is the image's config, applied to a Create that names an image.
  config?: ImageConfig;
}

export class ImageOps {
  private opened: Promise<ImageStore> | undefined;

  constructor(
    private readonly root: string,
    private readonly stateDir: string,
    private readonly bus: EventBus,
    private readonly puller?: Puller,
  ) {}

  store(): Promise<ImageStore> {
    this.opened ??= (async () => {
      const store = new ImageStore(this.root);
      await store.open();
      return store;
    })();
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  async catalog(): Promise<ImageCatalog> {
    return new ImageCatalog(await this.store());
  }

  publish(namespace: string, type: EventType, image: string, imageId: string): void {
    this.bus.publish({ namespace, containerId: "", processId: "", type, image, imageId });
  }

  // builtIn is what a pull of a berth.local name gives: the built-in
  // busybox (made on first use), NOT_FOUND for any other such name, and
  // undefined for a registry's name.
  async builtIn(reference: string): Promise<ImageEntry | undefined> {
    return builtInImage(await this.store(), this.stateDir, reference);
  }

  // pullBuiltIn is a Pull of a berth.local name (undefined for any other):
  // the image is made or found, never fetched, and announced as pulled.
  async pullBuiltIn(namespace: string, reference: string, onProgress?: (p: PullProgress) => void): Promise<PulledImage | undefined> {
    const image = await this.builtIn(reference);
    if (image === undefined) return undefined;
    const name = normalizeReference(reference);
    const pulled = await builtInPull(await this.store(), image, name, onProgress);
    this.publish(namespace, EventType.IMAGE_PULL, name, image.config);
    return pulled;
  }

  // pull runs the puller and publishes IMAGE_PULL.
  async pull(namespace: string, reference: string, options: PullOptions = {}): Promise<ImageEntry> {
    const name = normalizeReference(reference);
    if (this.puller === undefined) throw notFound(`the image store has no image ${quote(reference)}, and this daemon has no registry client to pull it`);
    const image = await this.puller(name, await this.store(), options);
    this.publish(namespace, EventType.IMAGE_PULL, name, image.config);
    return image;
  }

  // forCreate finds (or pulls, or makes) the image a Create's root comes
  // from and leases it to holder; undefined when the root is a folder.
  async forCreate(namespace: string, holder: string, reference: string, policy: PullPolicy, imagePath: string | undefined): Promise<CreateImage | undefined> {
    const store = await this.store();
    const catalog = new ImageCatalog(store);
    let found: CreateImage;
    if (imagePath !== undefined) {
      found = { image: await importArchive(store, imagePath), reference: "" };
    } else if (reference === "") {
      found = { image: await ensureBusyboxImage(store, this.stateDir), reference: BUSYBOX_IMAGE };
    } else {
      if (!/^(?:sha256:)?[a-f0-9]{4,64}$/.test(reference)) parseReference(reference);
      // A berth.local name is never pulled, so "always" takes the store's
      // and "never" still makes the built-in busybox.
      let image = policy === PullPolicy.ALWAYS && !isBuiltInName(reference) ? undefined : catalog.find(reference);
      if (image === undefined) image = await this.builtIn(reference);
      if (image === undefined) {
        if (policy === PullPolicy.NEVER) throw notFound(`the image store has no image ${quote(reference)} and the pull policy is never: load or pull it first`);
        image = await this.pull(namespace, reference);
      }
      const config = await store.config(image);
      found = { image, reference: catalog.find(reference) === image ? displayName(reference) : reference, config };
    }
    await store.lease(holder, found.image.manifest);
    return found;
  }

  async release(holder: string): Promise<void> {
    await (await this.store()).release(holder);
  }

  // reconcile drops the leases of a namespace's containers that no longer
  // exist (a crash between a container's removal and its release).
  async reconcile(namespace: string, live: ReadonlySet<string>): Promise<void> {
    const store = await this.store();
    for (const holder of Object.keys(store.records().leases)) {
      const [ns, id] = splitHolder(holder);
      if (ns === namespace && !live.has(id)) await store.release(holder);
    }
  }

  async list(dangling: boolean): Promise<Image[]> {
    return imageViews(await this.catalog(), dangling);
  }

  async inspect(reference: string): Promise<Image> {
    const catalog = await this.catalog();
    return imageView(catalog, catalog.get(reference));
  }

  async tagView(namespace: string, source: string, target: string): Promise<Image> {
    await this.tag(namespace, source, target);
    return this.inspect(target);
  }

  // loadStream spools an archive streamed by a client into the store's
  // ingest folder (cleared at start, so a crash leaves nothing), loads it
  // and removes the spool.
  async loadStream(namespace: string, chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Image[]> {
    const store = await this.store();
    const spool = store.content.tempPath("archive");
    try {
      await pipeline(Readable.from(chunks, { objectMode: false }), createWriteStream(spool, { mode: 0o600 }), signal ? { signal } : {}).catch((err: unknown) => {
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

  async tag(namespace: string, source: string, target: string): Promise<ImageEntry> {
    const catalog = await this.catalog();
    const { image, moved } = await catalog.tag(source, target);
    const name = normalizeReference(target);
    if (moved !== undefined) this.publish(namespace, EventType.IMAGE_UNTAG, name, catalog.store.records().images[moved]?.config ?? moved);
    this.publish(namespace, EventType.IMAGE_TAG, name, image.config);
    return image;
  }

  async remove(namespace: string, reference: string, force: boolean): Promise<RemoveResult> {
    const catalog = await this.catalog();
    const id = catalog.get(reference).config;
    return this.announce(namespace, id, await catalog.remove(reference, force));
  }

  async prune(namespace: string, all: boolean): Promise<PruneResult> {
    const catalog = await this.catalog();
    const { images, tags } = catalog.store.records();
    const idOf = new Map(Object.entries(tags).map(([name, manifest]) => [name, images[manifest]?.config ?? ""]));
    const result = await catalog.prune(all);
    for (const name of result.untagged) this.publish(namespace, EventType.IMAGE_UNTAG, name, idOf.get(name) ?? "");
    for (const id of result.deleted) this.publish(namespace, EventType.IMAGE_DELETE, id, id);
    return result;
  }

  private announce(namespace: string, id: string, result: RemoveResult): RemoveResult {
    for (const name of result.untagged) this.publish(namespace, EventType.IMAGE_UNTAG, name, id);
    for (const deleted of result.deleted) this.publish(namespace, EventType.IMAGE_DELETE, deleted, deleted);
    return result;
  }

  async load(namespace: string, archivePath: string, signal?: AbortSignal): Promise<ImageEntry[]> {
    const { loadImages } = await import("../image/load-images.js");
    const loaded = await loadImages(await this.store(), archivePath, signal);
    for (const { image, names } of loaded) {
      if (names.length === 0) this.publish(namespace, EventType.IMAGE_LOAD, image.config, image.config);
      for (const name of names) this.publish(namespace, EventType.IMAGE_LOAD, name, image.config);
    }
    return loaded.map((l) => l.image);
  }

  async save(references: readonly string[]): Promise<Readable> {
    const { saveImages } = await import("../image/save-images.js");
    references.forEach(checkImageName);
    const catalog = await this.catalog();
    const images = references.map((ref) => {
      const image = catalog.get(ref);
      let names: string[];
      try {
        const name = normalizeReference(ref);
        names = catalog.tagsOf(image.manifest).includes(name) ? [name] : catalog.tagsOf(image.manifest);
      } catch {
        names = catalog.tagsOf(image.manifest);
      }
      return { image, names };
    });
    return saveImages(catalog.store, images);
  }
}

export function holderOf(namespace: string, id: string): string {
  return `${namespace}/${id}`;
}

function splitHolder(holder: string): [string, string] {
  const slash = holder.indexOf("/");
  return [holder.slice(0, slash), holder.slice(slash + 1)];
}

function displayName(reference: string): string {
  try {
    return normalizeReference(reference);
  } catch {
    return reference;
  }
}
