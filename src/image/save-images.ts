// saveImages writes images as one OCI image archive: oci-layout, index.json
// (one entry per name, annotated as containerd and Docker 25 do), a docker
// save manifest.json beside it for older readers, and each blob once. The
// lease holds the blobs until the archive has ended or was given up.
import { createReadStream } from "node:fs";
import { finished, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import tar from "tar-stream";

import type { Lease } from "./content-leases.js";
import { MEDIA } from "./image-manifest.js";
import type { ImageEntry } from "./image-records.js";
import type { ImageStore } from "./image-store.js";
import { parseReference } from "./reference.js";

export interface SavedImage {
  image: ImageEntry;
  names: string[];
}

export function saveImages(store: ImageStore, images: SavedImage[], lease: Lease): Readable {
  const pack = tar.pack();
  finished(pack, () => lease.release());
  void write(store, images, pack).catch((err: unknown) => pack.destroy(err as Error));
  return pack;
}

async function write(store: ImageStore, images: SavedImage[], pack: tar.Pack): Promise<void> {
  const index: unknown[] = [];
  const dockerManifest: unknown[] = [];
  const blobs = new Set<string>();
  for (const { image, names } of images) {
    const descriptor = { mediaType: MEDIA.ociManifest, digest: image.manifest, size: await store.content.size(image.manifest) };
    if (names.length === 0) index.push(descriptor);
    for (const name of names) {
      const tag = parseReference(name).tag ?? "latest";
      index.push({ ...descriptor, annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag } });
    }
    dockerManifest.push({ Config: blobPath(image.config), RepoTags: names, Layers: image.layers.map(blobPath) });
    [image.manifest, image.config, ...image.layers].forEach((b) => blobs.add(b));
  }
  await entry(pack, "oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
  await entry(pack, "index.json", Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: index })));
  await entry(pack, "manifest.json", Buffer.from(JSON.stringify(dockerManifest)));
  await entry(pack, "blobs/", undefined);
  await entry(pack, "blobs/sha256/", undefined);
  for (const blob of blobs) {
    const size = await store.content.size(blob);
    const sink = pack.entry({ name: blobPath(blob), size, mode: 0o644, mtime: new Date(0) });
    await pipeline(createReadStream(store.content.path(blob)), sink);
  }
  pack.finalize();
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digest.slice("sha256:".length)}`;
}

function entry(pack: tar.Pack, name: string, data: Buffer | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const header: tar.Headers = data === undefined ? { name, type: "directory", mode: 0o755, mtime: new Date(0) } : { name, mode: 0o644, mtime: new Date(0) };
    pack.entry(header, data ?? undefined, (err) => (err ? reject(err) : resolve()));
  });
}
