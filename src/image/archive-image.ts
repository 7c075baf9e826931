// importArchive turns a Rootfs.image_path archive into an image of the
// store: an OCI image archive is loaded with its names; a tar of a root
// filesystem (.tar, .tar.gz) becomes a one-layer image with no name (so
// prune may remove it once no container uses it). The same archive, by
// content, is imported once: <root>/archives/<sha256> remembers its image.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createGunzip } from "node:zlib";

import tar from "tar-stream";

import { cachedSha256 } from "../rootfs/cached-sha256.js";
import { checkIsFile } from "../rootfs/image-rootfs.js";
import { checkTarArchive } from "../rootfs/tar-archive.js";
import { composeImage } from "./compose-image.js";
import { MEDIA } from "./image-manifest.js";
import type { ImageEntry } from "./image-records.js";
import type { ImageStore } from "./image-store.js";
import { isGzipFile } from "./is-gzip-file.js";
import { loadImages } from "./load-images.js";

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export async function importArchive(store: ImageStore, imagePath: string): Promise<ImageEntry> {
  const archive = resolve(imagePath);
  await checkIsFile(archive);
  await checkTarArchive(archive);
  const digest = await cachedSha256(archive, join(store.root, ".digests"));
  const memo = join(store.root, "archives", digest);
  const known = await readFile(memo, "utf8").then((m) => store.records().images[m.trim()], () => undefined);
  if (known !== undefined && known.removed !== true) return known;
  const image = (await isOciArchive(archive)) ? (await loadImages(store, archive))[0]!.image : await rootfsImage(store, archive);
  await mkdir(join(store.root, "archives"), { recursive: true });
  await writeFile(memo, image.manifest);
  return image;
}

async function rootfsImage(store: ImageStore, archive: string): Promise<ImageEntry> {
  const gzip = await isGzipFile(archive);
  const temp = store.content.tempPath("archive");
  await copyFile(archive, temp);
  const layer = await store.adopt(temp);
  const diffId = gzip ? await sha256Of(createReadStream(archive).pipe(createGunzip())) : layer.digest;
  const manifest = await composeImage(store, {
    layers: [{ mediaType: gzip ? MEDIA.ociLayerGzip : MEDIA.ociLayer, digest: layer.digest, size: layer.size }],
    diffIds: [diffId],
    config: { Env: [PATH] },
  });
  return (await store.commitImage(undefined, manifest)).image;
}

async function isOciArchive(archive: string): Promise<boolean> {
  const extract = tar.extract();
  const source = (await isGzipFile(archive)) ? createReadStream(archive).pipe(createGunzip()) : createReadStream(archive);
  source.pipe(extract);
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      seen.add(entry.header.name.replace(/^\.\//, ""));
      entry.resume();
      if (seen.has("oci-layout") && seen.has("index.json")) return true;
    }
  } catch {
    return false;
  } finally {
    source.destroy();
  }
  return false;
}

async function sha256Of(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}
