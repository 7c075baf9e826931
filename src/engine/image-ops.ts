// ImageOps is the engine's side of the image store: it opens the store once,
// resolves the image a Create names (pulling it when the policy says so,
// through the puller the daemon was given), holds a lease for each
// container made from an image, and publishes image events on the same
// bus as container events (no container id; Event.image and image_id).
import type { EventBus } from "../backend/event-bus.js";
import { notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { Image, PulledImage, PullProgress } from "../gen/berth/v1/images_pb.js";
import { EventType, PullPolicy } from "../gen/berth/v1/types_pb.js";
import { BUSYBOX_IMAGE, builtInImage, ensureBusyboxImage, isBuiltInName } from "../image/busybox-image.js";
import { importArchive } from "../image/archive-image.js";
import { ImageCatalog, type PruneResult, type RemoveResult } from "../image/image-catalog.js";
import type { ImageConfig } from "../image/image-manifest.js";
import type { ImageEntry } from "../image/image-records.js";
import { ImageStore } from "../image/image-store.js";
import { normalizeReference, parseReference } from "../image/reference.js";
import { builtInPull } from "./built-in-pull.js";
import { ImageArchives } from "./image-archives.js";
import { imageView, imageViews } from "./image-views.js";

export interface PullOptions {
  signal?: AbortSignal;
}

// Puller fetches reference from its registry into store (ingest, then
// commitImage) and returns the image. The registry client provides it.
// untagged is the manifest the name pointed at before the pull moved it.
export type Puller = (reference: string, store: ImageStore, options: PullOptions) => Promise<{ image: ImageEntry; untagged?: string }>;

export interface CreateImage {
  image: ImageEntry;
  reference: string;
  // config is the image's config, applied to a Create that names an image.
  config?: ImageConfig;
}

export class ImageOps {
  private opened: Promise<ImageStore> | undefined;
  // ready is the store once open (untagged reads it as it publishes).
  private ready: ImageStore | undefined;
  readonly archives: ImageArchives;

  constructor(
    private readonly root: string,
    private readonly stateDir: string,
    private readonly bus: EventBus,
    private readonly puller?: Puller,
    maxImageArchiveBytes?: number,
  ) {
    this.archives = new ImageArchives(this, maxImageArchiveBytes);
  }

  store(): Promise<ImageStore> {
    this.opened ??= (async () => {
      const store = new ImageStore(this.root);
      await store.open();
      this.ready = store;
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
    const store = await this.store();
    const { image, untagged } = await store.withLease(`pull ${name}`, () => this.puller!(name, store, options));
    if (untagged !== undefined) this.untagged(namespace, name, untagged);
    this.publish(namespace, EventType.IMAGE_PULL, name, image.config);
    return image;
  }

  // withLease runs fn under a lease of the store (content-leases.ts).
  async withLease<T>(label: string, fn: () => Promise<T>): Promise<T> {
    return (await this.store()).withLease(label, fn);
  }

  // forCreate finds (or pulls, or makes) the image a Create's root comes
  // from and leases it to holder; undefined when the root is a folder.
  // What it finds or writes is held until the container holds the image.
  async forCreate(namespace: string, holder: string, reference: string, policy: PullPolicy, imagePath: string | undefined): Promise<CreateImage | undefined> {
    return this.withLease(`create ${holder}`, () => this.findForCreate(namespace, holder, reference, policy, imagePath));
  }

  private async findForCreate(namespace: string, holder: string, reference: string, policy: PullPolicy, imagePath: string | undefined): Promise<CreateImage | undefined> {
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
      // Held before the next await, so a Prune cannot take the image
      // between this find and the container's own lease below.
      store.leases.current()?.keepImage(image.manifest);
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

  async tag(namespace: string, source: string, target: string): Promise<ImageEntry> {
    const catalog = await this.catalog();
    const { image, moved } = await catalog.tag(source, target);
    const name = normalizeReference(target);
    if (moved !== undefined) this.untagged(namespace, name, moved);
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

  // untagged announces that name left the image of manifest (which may
  // be dangling now).
  untagged(namespace: string, name: string, manifest: string): void {
    this.publish(namespace, EventType.IMAGE_UNTAG, name, this.ready?.records().images[manifest]?.config ?? manifest);
  }

  private announce(namespace: string, id: string, result: RemoveResult): RemoveResult {
    for (const name of result.untagged) this.publish(namespace, EventType.IMAGE_UNTAG, name, id);
    for (const deleted of result.deleted) this.publish(namespace, EventType.IMAGE_DELETE, deleted, deleted);
    return result;
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
