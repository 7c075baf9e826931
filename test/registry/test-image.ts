// buildTestImage writes an OCI image layout of a small busybox image with
// several layers: busybox and its applets; then files with odd modes and
// owners, a hard link, a symlink and a file that the third layer deletes
// with a whiteout. Every layer is a real gzip'd tar made by GNU tar, and
// `unique` goes into the last layer, so each test can have blobs no other
// test shares (the other two are the same in every image, as a base
// image's are). buildTestIndex writes an index of two such images for
// linux/amd64 and linux/arm64 (the arm64 one differs by one file).
import { createHash } from "node:crypto";
import { chmod, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { execa } from "execa";

const APPLETS = ["sh", "ls", "cat", "echo", "sleep", "true", "id", "test"];

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface TestImage {
  layout: string;
  manifest: Blob;
  config: Blob;
  layers: Blob[];
}

function noise(seed: string, size: number): Buffer {
  const out: Buffer[] = [];
  let block = createHash("sha512").update(seed).digest();
  for (let n = 0; n < size; n += block.length) {
    out.push(block);
    block = createHash("sha512").update(block).digest();
  }
  return Buffer.concat(out).subarray(0, size);
}

const sha = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

async function addBlob(layout: string, mediaType: string, data: Buffer): Promise<Blob> {
  const digest = sha(data);
  await mkdir(join(layout, "blobs", "sha256"), { recursive: true });
  await writeFile(join(layout, "blobs", "sha256", digest.slice(7)), data);
  return { mediaType, digest, size: data.length };
}

// tarOf archives dir's members with GNU tar, numeric owners kept, then
// gzips it; it returns the compressed layer and the plain tar's digest.
async function tarOf(dir: string): Promise<{ gz: Buffer; diffId: string }> {
  const { stdout } = await execa("tar", ["-C", dir, "--numeric-owner", "--sort=name", "--mtime=2024-01-01", "-cf", "-", "."], { encoding: "buffer" });
  const plain = Buffer.from(stdout);
  const { stdout: gz } = await execa("gzip", ["-n", "-1", "-c"], { input: plain, encoding: "buffer" });
  return { gz: Buffer.from(gz), diffId: sha(plain) };
}

async function layerDirs(work: string, unique: string, arch: string): Promise<string[]> {
  const base = join(work, "l1");
  await mkdir(join(base, "bin"), { recursive: true });
  await mkdir(join(base, "etc"), { recursive: true });
  const busybox = (await execa("sh", ["-c", "command -v busybox"])).stdout.trim();
  await writeFile(join(base, "bin", "busybox"), await readFile(busybox));
  await chmod(join(base, "bin", "busybox"), 0o755);
  for (const applet of APPLETS) await symlink("busybox", join(base, "bin", applet));
  await writeFile(join(base, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
  await writeFile(join(base, "etc", "group"), "root:x:0:\napp:x:1000:\n");

  const second = join(work, "l2");
  await mkdir(join(second, "data"), { recursive: true });
  await writeFile(join(second, "data", "a"), "hard-linked\n");
  await link(join(second, "data", "a"), join(second, "data", "b"));
  await symlink("a", join(second, "data", "link"));
  await writeFile(join(second, "data", "gone"), "deleted by the next layer\n");
  await writeFile(join(second, "data", "secret"), "odd mode\n");
  await chmod(join(second, "data", "secret"), 0o640);
  await execa("chown", ["1000:1000", join(second, "data", "secret")]);

  const third = join(work, "l3");
  await mkdir(join(third, "data"), { recursive: true });
  await writeFile(join(third, "data", ".wh.gone"), "");
  await writeFile(join(third, "data", "unique"), `${unique}\n`);
  // Incompressible bytes of this image's own, so its own layer is big
  // enough (768 KiB) to be caught mid-download.
  await writeFile(join(third, "data", "noise"), noise(unique, 768 * 1024));
  await writeFile(join(third, "data", "arch"), `${arch}\n`);
  return [base, second, third];
}

// writeImage adds one image's blobs to layout and returns its manifest.
async function writeImage(layout: string, unique: string, arch: string): Promise<TestImage> {
  const work = await mkdtemp(join(tmpdir(), "berth-test-image-"));
  try {
    const layers: Blob[] = [];
    const diffIds: string[] = [];
    for (const dir of await layerDirs(work, unique, arch)) {
      const { gz, diffId } = await tarOf(dir);
      layers.push(await addBlob(layout, "application/vnd.oci.image.layer.v1.tar+gzip", gz));
      diffIds.push(diffId);
    }
    const config = await addBlob(
      layout,
      "application/vnd.oci.image.config.v1+json",
      Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: "linux",
          config: { Cmd: ["sh", "-c", "cat /data/unique"], Env: ["PATH=/bin", "GREETING=hello"], WorkingDir: "/data" },
          rootfs: { type: "layers", diff_ids: diffIds },
        }),
      ),
    );
    const manifest = await addBlob(
      layout,
      "application/vnd.oci.image.manifest.v1+json",
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config, layers })),
    );
    return { layout, manifest: { ...manifest, platform: { os: "linux", architecture: arch } }, config, layers };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function writeLayoutIndex(layout: string, top: Blob, tag: string): Promise<void> {
  const entry = { ...top, annotations: { "org.opencontainers.image.ref.name": tag } };
  await writeFile(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [entry] }));
  await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
}

export async function buildTestImage(layout: string, unique: string, tag = "latest"): Promise<TestImage> {
  const image = await writeImage(layout, unique, "amd64");
  const { platform: _platform, ...manifest } = image.manifest;
  await writeLayoutIndex(layout, manifest, tag);
  return image;
}

export interface TestIndex {
  layout: string;
  index: Blob;
  images: Record<"amd64" | "arm64", TestImage>;
}

export async function buildTestIndex(layout: string, unique: string, tag = "latest"): Promise<TestIndex> {
  const amd64 = await writeImage(layout, unique, "amd64");
  const arm64 = await writeImage(layout, unique, "arm64");
  const index = await addBlob(
    layout,
    "application/vnd.oci.image.index.v1+json",
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [arm64.manifest, amd64.manifest] })),
  );
  await writeLayoutIndex(layout, index, tag);
  return { layout, index, images: { amd64, arm64 } };
}
