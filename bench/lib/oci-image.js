// @ts-check
// buildOciArchive turns a root filesystem folder into an OCI image archive
// (oci-layout, index.json, one manifest, one config, one gzip layer) that
// `ctr images import` accepts, and returns the layer's diff id, which for a
// one-layer image is also the chain id that names its unpacked snapshot.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { arch } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { runChecked } from "./spawn.js";

/** Node's architecture names in the image spec's (Go's) spelling. */
export const GO_ARCH = /** @type {Record<string, string>} */ ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" });

/**
 * @typedef {object} OciArchive
 * @property {string} path the .tar to import
 * @property {string} imageName
 * @property {string} chainId the unpacked layer's snapshot name
 */

/**
 * @param {string} rootfs
 * @param {string} workDir an empty scratch folder
 * @param {string} imageName e.g. "docker.io/library/berth-bench-busybox:latest"
 * @returns {Promise<OciArchive>}
 */
export async function buildOciArchive(rootfs, workDir, imageName) {
  const layout = join(workDir, "layout");
  const blobs = join(layout, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });

  const layerTar = join(workDir, "layer.tar");
  await runChecked("tar", ["--create", "--file", layerTar, "--numeric-owner", "--directory", rootfs, "."]);
  const tarBytes = await readFile(layerTar);
  const diffId = `sha256:${sha256(tarBytes)}`;
  const layer = await putBlob(blobs, gzipSync(tarBytes));

  const platform = { architecture: GO_ARCH[arch()] ?? arch(), os: "linux" };
  const config = await putBlob(
    blobs,
    Buffer.from(
      JSON.stringify({
        ...platform,
        created: new Date().toISOString(),
        config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: [diffId] },
        history: [{ created_by: "berth bench: busybox rootfs" }],
      }),
    ),
  );
  const manifest = await putManifest(blobs, config, [layer]);
  const tag = imageName.slice(imageName.lastIndexOf(":") + 1);
  await writeFile(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          platform,
          annotations: { "io.containerd.image.name": imageName, "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));

  const archive = join(workDir, "image.tar");
  await runChecked("tar", ["--create", "--file", archive, "--directory", layout, "oci-layout", "index.json", "blobs"]);
  return { path: archive, imageName, chainId: diffId };
}

/**
 * putManifest writes an OCI image manifest of config and gzip layers.
 * @param {string} dir
 * @param {{ digest: string, size: number }} config
 * @param {{ digest: string, size: number }[]} layers
 */
export function putManifest(dir, config, layers) {
  return putBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...l })),
      }),
    ),
  );
}

/**
 * @param {string} dir
 * @param {Buffer} bytes
 * @returns {Promise<{ digest: string, size: number }>}
 */
export async function putBlob(dir, bytes) {
  const hex = sha256(bytes);
  await writeFile(join(dir, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/** @param {Buffer} bytes */
export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}
