// ImageStore is berth's content-addressed image store in the state
// directory (<state>/images):
//
//   blobs/sha256/<hex>       manifests, configs and layers, by digest
//   ingest/                  blobs being written (cleared on open)
//   snapshots/<hex>/fs       each layer unpacked once, keyed by chain id
//   records.json             images, tags and container leases
//
// The API for writers of images (a registry pull, a load):
//   await store.ingest(digest, size, readable, { signal })  // verified blob
//   await store.has(digest)
//   await store.commitImage(name, manifestDigest, { repoDigest })
// ingest every blob an image manifest names (config and layers) and the
// manifest itself, then commitImage: it unpacks the layers (once per chain
// id), and only then records the image and points name at it. A crash at
// any point before leaves no image, and what was written is collected as
// garbage at the next open. Writers run under withLease (a pull, a load)
// and a reader of blobs holds an openLease (a save): what the lease holds
// (every blob ingested, adopted or found by has, every snapshot committed)
// outlives a concurrent prune or remove until it is released
// (content-leases.ts). A blob ingested with no lease is safe from a prune
// for an hour, time enough to commit it.
import { join } from "node:path";
import type { Readable } from "node:stream";

import { failedPrecondition, notFound } from "../errors/berth-error.js";
import { failpoint } from "../faults/failpoint.js";
import { ContentLeases, type Lease } from "./content-leases.js";
import { ContentStore, type IngestOptions } from "./content-store.js";
import { chainIds } from "./digest.js";
import { parseConfig, parseManifest, type ImageConfig } from "./image-manifest.js";
import { liveContent, readRecords, writeRecords, type ImageEntry, type RecordsData } from "./image-records.js";
import { normalizeReference } from "./reference.js";
import { runBounded } from "./run-bounded.js";
import { SnapshotStore } from "./snapshot-store.js";

const FRESH_MS = 60 * 60 * 1000;

export interface CommitOptions {
  // repoDigest is "registry/repository@sha256:..." as pulled (the digest
  // of the index when a platform was chosen from one).
  repoDigest?: string;
}

export interface CommitResult {
  image: ImageEntry;
  // untagged is the manifest name pointed at before, when it moved.
  untagged?: string;
}

export interface LowerDirs {
  // cwd is the folder the relative lowerdir names start from.
  cwd: string;
  // dirs are the snapshot folders, top layer first, as lowerdir lists them.
  dirs: string[];
}

export class ImageStore {
  readonly content: ContentStore;
  readonly snapshots: SnapshotStore;
  private readonly recordsPath: string;
  private data: RecordsData | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  // fresh holds digests ingested by this process, with the time, so that a
  // prune does not collect a blob whose image is not committed yet.
  private readonly fresh = new Map<string, number>();
  private readonly preparing = new Map<string, number>();
  private readonly building = new Map<string, Promise<void>>();
  // A collection deferred for a lease runs when it is released.
  readonly leases = new ContentLeases(() => void this.locked(() => this.collectGarbage()).catch(() => {}));

  constructor(readonly root: string) {
    this.content = new ContentStore(root);
    this.snapshots = new SnapshotStore(join(root, "snapshots"));
    this.recordsPath = join(root, "records.json");
  }

  // open readies the store and collects what a crash left unreferenced.
  async open(): Promise<void> {
    await this.content.open();
    await this.snapshots.open();
    this.data = await readRecords(this.recordsPath);
    await this.locked(() => this.collectGarbage());
  }

  // withLease runs fn under a lease of its own (or the caller's, when it
  // runs under one already), released when fn settles.
  async withLease<T>(label: string, fn: () => Promise<T>): Promise<T> {
    if (this.leases.current() !== undefined) return fn();
    const lease = this.leases.open(label);
    try {
      return await this.leases.run(lease, fn);
    } finally {
      lease.release();
    }
  }

  // openLease opens a lease the caller holds content with and releases.
  openLease(label: string): Lease {
    return this.leases.open(label);
  }

  // has says whether the blob is stored. Under a lease, the blob is held
  // before it is looked for, under the lock a collection takes, so one it
  // finds stays.
  has(digest: string): Promise<boolean> {
    const lease = this.leases.current();
    if (lease === undefined) return this.content.has(digest);
    return this.locked(async () => {
      lease.hold([digest]);
      return this.content.has(digest);
    });
  }

  async ingest(digest: string, size: number | undefined, readable: Readable, options: IngestOptions = {}): Promise<void> {
    if (this.leases.current() !== undefined && (await this.has(digest))) {
      readable.destroy();
      return;
    }
    this.keep(digest);
    await this.content.ingest(digest, size, readable, options);
  }

  // adopt is ContentStore.adopt, the blob kept before it is in place.
  adopt(temp: string): Promise<{ digest: string; size: number }> {
    return this.content.adopt(temp, (digest) => this.keep(digest));
  }

  // keep holds a blob being written in the current lease or, with none (or
  // one released), for FRESH_MS.
  private keep(digest: string): void {
    if (this.leases.current()?.hold([digest]) !== true) this.fresh.set(digest, Date.now());
  }

  // commitImage records the image of manifestDigest (whose config and layer
  // blobs must be ingested) and, with a name, points it there (name is
  // normalized: "busybox" is docker.io/library/busybox:latest).
  async commitImage(name: string | undefined, manifestDigest: string, options: CommitOptions = {}): Promise<CommitResult> {
    const tag = name === undefined ? undefined : normalizeReference(name);
    const manifest = parseManifest(await this.content.readJson(manifestDigest), manifestDigest);
    for (const d of [manifest.config, ...manifest.layers]) {
      if (!(await this.content.has(d.digest))) throw failedPrecondition(`image ${manifestDigest} is not complete: blob ${d.digest} is not in the store; ingest it first`);
    }
    const config = parseConfig(await this.content.readJson(manifest.config.digest), manifest.config.digest);
    if (config.diffIds.length !== manifest.layers.length) {
      throw failedPrecondition(`image ${manifestDigest} has ${manifest.layers.length} layers but its config lists ${config.diffIds.length} diff ids`);
    }
    const chains = chainIds(config.diffIds);
    this.leases.current()?.hold([manifestDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)], chains);
    this.leases.current()?.keepImage(manifestDigest);
    for (const c of chains) this.preparing.set(c, (this.preparing.get(c) ?? 0) + 1);
    try {
      await runBounded(chains, 2, (chain, i) => this.prepareSnapshot(chain, config.diffIds[i]!, manifest.layers[i]!.digest));
      failpoint("image:commit-after-unpack");
      return await this.locked(async () => {
        const data = this.records();
        const old = data.images[manifestDigest];
        const image: ImageEntry = {
          manifest: manifestDigest,
          config: manifest.config.digest,
          layers: manifest.layers.map((l) => l.digest),
          chainIds: chains,
          repoDigests: [...new Set([...(old?.removed === true ? [] : (old?.repoDigests ?? [])), ...(options.repoDigest !== undefined ? [options.repoDigest] : [])])],
          addedAt: old !== undefined && old.removed !== true ? old.addedAt : new Date().toISOString(),
        };
        data.images[manifestDigest] = image;
        const before = tag === undefined ? undefined : data.tags[tag];
        if (tag !== undefined) data.tags[tag] = manifestDigest;
        await this.save();
        return { image, ...(before !== undefined && before !== manifestDigest && { untagged: before }) };
      });
    } finally {
      for (const c of chains) this.preparing.set(c, (this.preparing.get(c) ?? 1) - 1);
    }
  }

  // prepareLayer unpacks layer index of the image whose config is stored,
  // ahead of commitImage (which then finds its snapshot made): a pull
  // unpacks each layer as soon as it is in, while others download. The
  // snapshot is held by the current lease until the image holds it.
  async prepareLayer(configDigest: string, layerDigest: string, index: number): Promise<void> {
    const config = parseConfig(await this.content.readJson(configDigest), configDigest);
    const diffId = config.diffIds[index];
    if (diffId === undefined) return;
    const chain = chainIds(config.diffIds)[index]!;
    this.leases.current()?.hold([], [chain]);
    this.preparing.set(chain, (this.preparing.get(chain) ?? 0) + 1);
    try {
      await this.prepareSnapshot(chain, diffId, layerDigest);
    } finally {
      this.preparing.set(chain, (this.preparing.get(chain) ?? 1) - 1);
    }
  }

  // prepareSnapshot builds a snapshot once however many ask at once.
  private prepareSnapshot(chain: string, diffId: string, layer: string): Promise<void> {
    let build = this.building.get(chain);
    if (build === undefined) {
      build = this.snapshots.prepare(chain, diffId, layer, this.content.path(layer)).finally(() => this.building.delete(chain));
      this.building.set(chain, build);
    }
    return build;
  }

  // config reads an image's config.
  async config(image: ImageEntry): Promise<ImageConfig> {
    return parseConfig(await this.content.readJson(image.config), image.config);
  }

  // lowerDirs gives an image's overlay lower folders.
  lowerDirs(image: ImageEntry): LowerDirs {
    return { cwd: this.snapshots.root, dirs: image.chainIds.map((c) => this.snapshots.fsName(c)).reverse() };
  }

  // lease makes holder keep the image's content until release(holder).
  async lease(holder: string, manifest: string): Promise<void> {
    await this.locked(async () => {
      const data = this.records();
      if (data.images[manifest] === undefined) throw notFound(`image ${manifest} is not in the store`);
      data.leases[holder] = manifest;
      await this.save();
    });
  }

  // release drops holder's lease; an image removed meanwhile goes with it.
  async release(holder: string): Promise<void> {
    await this.locked(async () => {
      const data = this.records();
      if (data.leases[holder] === undefined) return;
      delete data.leases[holder];
      await this.save();
      await this.collectGarbage();
    });
  }

  // records is the index as of now (read-only for callers).
  records(): RecordsData {
    if (this.data === undefined) throw failedPrecondition("the image store is not open");
    return this.data;
  }

  async save(): Promise<void> {
    await writeRecords(this.recordsPath, this.records());
  }

  // locked runs fn after every other change of the records.
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  // collectGarbage (under locked) drops removed images no lease holds, then
  // every snapshot and blob that no image reaches. It returns the bytes
  // freed.
  async collectGarbage(): Promise<number> {
    const data = this.records();
    const leased = new Set(Object.values(data.leases));
    let changed = false;
    for (const [digest, image] of Object.entries(data.images)) {
      if (image.removed === true && !leased.has(digest)) {
        delete data.images[digest];
        changed = true;
      }
    }
    if (changed) await this.save();
    const { liveChains, liveBlobs } = liveContent(data);
    let freed = 0;
    for (const chain of await this.snapshots.list()) {
      if (liveChains.has(chain) || (this.preparing.get(chain) ?? 0) > 0 || this.leases.keepsChain(chain)) continue;
      freed += (await this.snapshots.info(chain))?.size ?? 0;
      await this.snapshots.remove(chain);
    }
    const now = Date.now();
    for (const blob of await this.content.list()) {
      if (liveBlobs.has(blob) || now - (this.fresh.get(blob) ?? 0) < FRESH_MS || this.leases.keepsBlob(blob)) continue;
      freed += await this.content.size(blob).catch(() => 0);
      await this.content.delete(blob);
    }
    return freed;
  }
}
