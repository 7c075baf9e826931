// imageView is an image of the store as the API describes it: id, names,
// digests, the config's facts, the disk its unpacked layers take (each
// layer counted for every image that has it, as Docker counts) and how many
// containers use it.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

import { ImageConfigSchema, ImageSchema, type Image } from "../gen/berth/v1/images_pb.js";
import type { ImageCatalog } from "../image/image-catalog.js";
import type { ImageEntry } from "../image/image-records.js";

export async function imageView(catalog: ImageCatalog, image: ImageEntry): Promise<Image> {
  const { store } = catalog;
  const config = await store.config(image);
  const sizes = await Promise.all(image.chainIds.map(async (c) => (await store.snapshots.info(c))?.size ?? 0));
  const created = config.created === undefined ? undefined : new Date(config.created);
  return create(ImageSchema, {
    id: image.config,
    repoTags: catalog.tagsOf(image.manifest),
    repoDigests: image.repoDigests,
    ...(created !== undefined && !Number.isNaN(created.getTime()) && { created: timestampFromDate(created) }),
    size: BigInt(sizes.reduce((a, b) => a + b, 0)),
    architecture: config.architecture,
    os: config.os,
    labels: config.labels,
    config: create(ImageConfigSchema, {
      entrypoint: config.entrypoint,
      cmd: config.cmd,
      env: config.env,
      workingDir: config.workingDir,
      user: config.user,
      exposedPorts: config.exposedPorts,
      stopSignal: config.stopSignal,
    }),
    manifestDigest: image.manifest,
    containers: catalog.usersOf(image.manifest).length,
  });
}

// imageViews lists the visible images, newest first (by when they came
// into the store, then by id).
export async function imageViews(catalog: ImageCatalog, dangling: boolean): Promise<Image[]> {
  const entries = Object.values(catalog.store.records().images)
    .filter((i) => i.removed !== true && (!dangling || catalog.tagsOf(i.manifest).length === 0))
    .sort((a, b) => b.addedAt.localeCompare(a.addedAt) || a.config.localeCompare(b.config));
  return Promise.all(entries.map((i) => imageView(catalog, i)));
}
