// ImageRecords is the store's index, one JSON file written atomically (temp
// file, fsync, rename, fsync of the folder): which images exist (by
// manifest digest), the names that point at them, and which containers
// hold one (a lease, so removing an image cannot break a container made
// from it). Blobs and snapshots are referenced from here only; whatever
// nothing here reaches is garbage (see ImageStore.collectGarbage).
import { randomBytes } from "node:crypto";
import { open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";

import { hasErrnoCode } from "../rootfs/path-exists.js";

export interface ImageEntry {
  manifest: string;
  config: string;
  // layers are the layer blobs' digests, bottom first; chainIds match them.
  layers: string[];
  chainIds: string[];
  repoDigests: string[];
  // addedAt is when the image came into the store (RFC 3339).
  addedAt: string;
  // removed is set for an image removed while containers still lease it:
  // it is gone for every listing, and its content goes with the last lease.
  removed?: boolean;
}

export interface RecordsData {
  version: 1;
  images: Record<string, ImageEntry>;
  // tags maps a normalized name (registry/repository:tag) to a manifest.
  tags: Record<string, string>;
  // leases maps a holder ("<namespace>/<container id>") to a manifest.
  leases: Record<string, string>;
}

export function emptyRecords(): RecordsData {
  return { version: 1, images: {}, tags: {}, leases: {} };
}

// liveContent is what the images recorded reach: their snapshots and blobs
// (an index pulled through is kept with its image).
export function liveContent(data: RecordsData): { liveChains: Set<string>; liveBlobs: Set<string> } {
  const liveChains = new Set<string>();
  const liveBlobs = new Set<string>();
  for (const image of Object.values(data.images)) {
    image.chainIds.forEach((c) => liveChains.add(c));
    [image.manifest, image.config, ...image.layers].forEach((b) => liveBlobs.add(b));
    image.repoDigests.forEach((r) => liveBlobs.add(r.slice(r.indexOf("@") + 1)));
  }
  return { liveChains, liveBlobs };
}

export async function readRecords(path: string): Promise<RecordsData> {
  try {
    const data = JSON.parse(await readFile(path, "utf8")) as RecordsData;
    return { ...emptyRecords(), ...data };
  } catch (err) {
    if (hasErrnoCode(err, "ENOENT")) return emptyRecords();
    throw err;
  }
}

export async function writeRecords(path: string, data: RecordsData): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const fh = await open(temp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(data)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, path);
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
