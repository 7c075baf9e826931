// ImageCatalog holds the naming rules of the store: how a name or id finds
// an image, and Docker's rules for tag, remove and prune
// (daemon/images/image_delete.go): removing a name of an image that has
// other names only untags; the last name, or an id, deletes the image,
// refused while a container uses it, and for an id while several names
// point at it, unless forced. A forced removal of an image in use hides it
// and keeps its content until the last container using it goes.
import { failedPrecondition, invalidArgument, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { failpoint } from "../faults/failpoint.js";
import type { ImageEntry } from "./image-records.js";
import type { ImageStore } from "./image-store.js";
import { normalizeReference, parseReference } from "./reference.js";

const ID_PREFIX = /^(?:sha256:)?([a-f0-9]{4,64})$/;

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
}

export interface PruneResult extends RemoveResult {
  reclaimedBytes: number;
}

// checkImageName refuses a name that is neither an id (or a prefix of one)
// nor a reference, saying what a reference looks like.
export function checkImageName(text: string): void {
  if (text === "") throw invalidArgument("no image given: name one by reference (busybox:latest) or id");
  if (!ID_PREFIX.test(text)) parseReference(text);
}

export class ImageCatalog {
  constructor(readonly store: ImageStore) {}

  // find returns the image a name, repository@digest or id names, or
  // undefined.
  find(text: string): ImageEntry | undefined {
    const data = this.store.records();
    const visible = (m: string | undefined) => (m === undefined ? undefined : data.images[m]?.removed === true ? undefined : data.images[m]);
    let ref;
    try {
      ref = parseReference(text);
    } catch {
      ref = undefined;
    }
    if (ref !== undefined && ref.digest !== undefined) {
      const repo = `${ref.registry}/${ref.repository}@${ref.digest}`;
      return Object.values(data.images).find((i) => i.removed !== true && (i.repoDigests.includes(repo) || i.manifest === ref.digest));
    }
    if (ref !== undefined) {
      const tagged = visible(data.tags[normalizeReference(text)]);
      if (tagged !== undefined) return tagged;
    }
    const id = ID_PREFIX.exec(text)?.[1];
    if (id === undefined) return undefined;
    const matches = Object.values(data.images).filter((i) => i.removed !== true && (i.config.slice(7).startsWith(id) || i.manifest === `sha256:${id}`));
    const ids = new Set(matches.map((i) => i.config));
    if (ids.size > 1) throw invalidArgument(`image id prefix ${quote(text)} matches ${ids.size} images: give more of the id`);
    return matches[0];
  }

  get(text: string): ImageEntry {
    checkImageName(text);
    const image = this.find(text);
    if (image === undefined) throw notFound(`the image store has no image ${quote(text)} (berth images lists them)`);
    return image;
  }

  tagsOf(manifest: string): string[] {
    return Object.entries(this.store.records().tags)
      .filter(([, m]) => m === manifest)
      .map(([t]) => t)
      .sort();
  }

  usersOf(manifest: string): string[] {
    return Object.entries(this.store.records().leases)
      .filter(([, m]) => m === manifest)
      .map(([holder]) => holder);
  }

  // tag points target at source's image; it returns the manifest target
  // pointed at before, if another.
  async tag(source: string, target: string): Promise<{ image: ImageEntry; moved?: string }> {
    const name = normalizeReference(target);
    if (parseReference(target).digest !== undefined) throw invalidArgument(`cannot tag with a digest reference ${quote(target)}: give name:tag`);
    return this.store.locked(async () => {
      const image = this.get(source);
      const data = this.store.records();
      const before = data.tags[name];
      data.tags[name] = image.manifest;
      await this.store.save();
      return { image, ...(before !== undefined && before !== image.manifest && { moved: before }) };
    });
  }

  async remove(text: string, force: boolean): Promise<RemoveResult> {
    return this.store.locked(async () => {
      const image = this.get(text);
      const data = this.store.records();
      const tags = this.tagsOf(image.manifest);
      let byName: string | undefined;
      try {
        const name = normalizeReference(text);
        if (data.tags[name] === image.manifest) byName = name;
      } catch {
        byName = undefined;
      }
      if (byName !== undefined && tags.length > 1) {
        delete data.tags[byName];
        await this.store.save();
        return { untagged: [byName], deleted: [] };
      }
      const users = this.usersOf(image.manifest);
      if (!force && users.length > 0) {
        throw failedPrecondition(`image ${quote(text)} is used by container ${users.slice(0, 3).join(", ")}${users.length > 3 ? " and others" : ""}: delete the container first, or force`);
      }
      if (!force && byName === undefined && tags.length > 1) {
        throw failedPrecondition(`image ${image.config} is referenced by ${tags.length} names (${tags.join(", ")}): remove them by name, or force`);
      }
      const removed = await this.deleteImage(image);
      await this.store.collectGarbage();
      return removed;
    });
  }

  // prune (under no lock of the caller) removes dangling images, or with
  // all every image no container uses, then collects the content. An
  // image a lease keeps (a Create resolving it, a Pull or Load committing
  // it) is in use too.
  async prune(all: boolean): Promise<PruneResult> {
    return this.store.locked(async () => {
      const data = this.store.records();
      const result: RemoveResult = { untagged: [], deleted: [] };
      for (const image of Object.values(data.images)) {
        if (image.removed === true || this.usersOf(image.manifest).length > 0 || this.store.leases.keepsImage(image.manifest)) continue;
        if (!all && this.tagsOf(image.manifest).length > 0) continue;
        const removed = await this.deleteImage(image);
        failpoint("image:prune-after-record");
        result.untagged.push(...removed.untagged);
        result.deleted.push(...removed.deleted);
      }
      return { ...result, reclaimedBytes: await this.store.collectGarbage() };
    });
  }

  // deleteImage (under locked) untags then deletes (or hides, while leased).
  private async deleteImage(image: ImageEntry): Promise<RemoveResult> {
    const data = this.store.records();
    const untagged = this.tagsOf(image.manifest);
    for (const tag of untagged) delete data.tags[tag];
    if (this.usersOf(image.manifest).length > 0) data.images[image.manifest] = { ...image, removed: true };
    else delete data.images[image.manifest];
    await this.store.save();
    return { untagged, deleted: [image.config] };
  }
}
