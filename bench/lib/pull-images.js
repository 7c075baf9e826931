// @ts-check
// buildPullImage writes one multi-layer OCI image layout for the pull row:
// the busybox tree, one 4 MiB file, 256 small files in 16 folders and one
// 1 MiB file, four gzip layers. Every byte that is not busybox is random
// and every layer carries a file of its own, so no two images share a blob:
// each timed pull fetches and unpacks everything, whatever the store
// already holds from an earlier repetition.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { arch } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { GO_ARCH, putBlob, putManifest, sha256 } from "./oci-image.js";
import { runChecked } from "./spawn.js";

const KIB = 1024;
const MIB = 1024 * KIB;
export const PULL_IMAGE_SHAPE = "4 gzip layers: busybox, one 4 MiB file, 256 files of 4 KiB in 16 folders, one 1 MiB file (random bytes, no blob shared between images)";

/**
 * @typedef {object} PullImage
 * @property {string} layout the OCI layout folder (its one image tagged "latest")
 * @property {number} bytes the manifest's config and layers, compressed
 */

/**
 * @param {string} rootfs the shared busybox tree
 * @param {string} workDir an empty scratch folder
 * @param {string} name tells the image apart (written into every layer)
 * @returns {Promise<PullImage>}
 */
export async function buildPullImage(rootfs, workDir, name) {
  const layout = join(workDir, "layout");
  const blobs = join(layout, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const trees = await layerTrees(join(workDir, "trees"), name);
  /** @type {{ digest: string, size: number }[]} */
  const layers = [];
  /** @type {string[]} */
  const diffIds = [];
  for (const [i, dirs] of [[rootfs, trees[0]], [trees[1]], [trees[2]], [trees[3]]].entries()) {
    const tarPath = join(workDir, `layer-${i}.tar`);
    const args = ["--create", "--file", tarPath, "--numeric-owner"];
    for (const dir of dirs) args.push("--directory", /** @type {string} */ (dir), ".");
    await runChecked("tar", args);
    const tarBytes = await readFile(tarPath);
    diffIds.push(`sha256:${sha256(tarBytes)}`);
    layers.push(await putBlob(blobs, gzipSync(tarBytes)));
  }
  await rm(join(workDir, "trees"), { recursive: true, force: true });
  const platform = { architecture: GO_ARCH[arch()] ?? arch(), os: "linux" };
  const config = await putBlob(
    blobs,
    Buffer.from(JSON.stringify({ ...platform, config: { Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: diffIds } })),
  );
  const manifest = await putManifest(blobs, config, layers);
  await writeFile(
    join(layout, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "latest" } }] }),
  );
  await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return { layout, bytes: config.size + layers.reduce((sum, l) => sum + l.size, 0) };
}

/**
 * layerTrees writes the folders of the layers after busybox's (the first
 * one only adds a file beside busybox's tree).
 * @param {string} dir
 * @param {string} name
 * @returns {Promise<string[]>}
 */
async function layerTrees(dir, name) {
  const trees = [0, 1, 2, 3].map((i) => join(dir, `t${i}`));
  for (const [i, tree] of trees.entries()) {
    await mkdir(join(tree, "etc"), { recursive: true });
    await writeFile(join(tree, "etc", `berth-bench-layer-${i}`), `${name}\n`);
  }
  await mkdir(join(trees[1] ?? "", "data"), { recursive: true });
  await writeFile(join(trees[1] ?? "", "data", "big"), randomBytes(4 * MIB));
  for (let d = 0; d < 16; d++) {
    const folder = join(trees[2] ?? "", "data", "many", String(d).padStart(2, "0"));
    await mkdir(folder, { recursive: true });
    for (let f = 0; f < 16; f++) await writeFile(join(folder, `file-${f}`), randomBytes(4 * KIB));
  }
  await mkdir(join(trees[3] ?? "", "data"), { recursive: true });
  await writeFile(join(trees[3] ?? "", "data", "small"), randomBytes(MIB));
  return trees;
}
