// unpackLayer turns one layer blob into a snapshot folder in overlayfs's own
// format, as containerd's overlay snapshotter keeps them: the folder holds
// the layer's changes only, a whiteout becomes a 0/0 character device and an
// opaque folder carries trusted.overlay.opaque=y. An overlay of the folders
// of an image's layers is then its root filesystem, and a layer shared by
// ten images is on disk once.
//
// GNU tar does the unpacking (owners, modes, xattrs, hard links, devices,
// sparse files: all that a hand-written extractor would get subtly wrong)
// into an empty folder, while LayerChecker reads the same bytes and the
// digest of the uncompressed stream (the layer's diff id) is computed.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import * as zlib from "node:zlib";

import tar from "tar-stream";

import { BerthError, invalidArgument } from "../errors/berth-error.js";
import { loadExeca } from "../runtime/lazy-execa.js";
import { fileHead } from "../rootfs/file-head.js";
import { LayerChecker, type LayerFindings } from "./layer-checker.js";

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const TAR_ARGS = ["--numeric-owner", "--same-owner", "--same-permissions", "--xattrs", "--xattrs-include=*"];
// Read and decompressed in large pieces, and fed to tar with records of
// 128 KiB (-b 256; its default is 10 KiB): a third of the read and write
// calls for the same layer. tar reads full records from a pipe, and a short
// last one is fine.
const READ_CHUNK = 1024 * 1024;
const GUNZIP_CHUNK = 256 * 1024;
const TAR_BLOCKING = ["-b", "256"];

// unpackLayer unpacks the layer at blobPath (tar, gzip or zstd) into dir
// (empty, existing) and returns its diff id. name is how messages call it.
export async function unpackLayer(blobPath: string, dir: string, name: string): Promise<string> {
  const source = await decompressed(blobPath, name);
  const checker = new LayerChecker(name);
  const execa = await loadExeca();
  const tarProcess = execa("tar", ["-x", ...TAR_BLOCKING, "-f", "-", "-C", dir, ...TAR_ARGS], { stdin: "pipe", reject: false, stdout: "ignore" });
  const hash = createHash("sha256");
  const feed = async () => {
    try {
      for await (const chunk of source) {
        hash.update(chunk as Buffer);
        await Promise.all([write(tarProcess.stdin!, chunk as Buffer), write(checker.input, chunk as Buffer)]);
      }
    } finally {
      tarProcess.stdin!.end();
      checker.input.end();
    }
  };
  const [fed, found, result] = await Promise.allSettled([feed(), checker.findings(), tarProcess]);
  // The checker's verdict comes first: a layer it refuses may also have
  // made tar fail, and its message says why.
  if (found.status === "rejected") throw found.reason;
  if (fed.status === "rejected") throw fed.reason instanceof BerthError ? fed.reason : invalidArgument(`layer ${name} cannot be read: ${(fed.reason as Error).message}`);
  if (result.status === "rejected") throw result.reason;
  if (result.value.exitCode !== 0) {
    const stderr = String(result.value.stderr ?? "").trim();
    if (result.value.exitCode === undefined) throw new BerthError("unavailable", `cannot run tar (${result.value.shortMessage}): install it with \`apt-get install tar\``);
    if (/no space left/i.test(stderr)) throw new BerthError("resource_exhausted", `unpacking layer ${name}: ${stderr}`);
    throw invalidArgument(`layer ${name} cannot be unpacked: ${stderr || result.value.shortMessage}`);
  }
  await applyWhiteouts(dir, found.value, name);
  return `sha256:${hash.digest("hex")}`;
}

// write waits for drain (or the stream's end) when the stream is full. The
// wait that loses the race is taken back: left pending, each one kept a
// close and an error listener on the stream for the whole layer.
async function write(stream: Writable, chunk: Buffer): Promise<void> {
  if (stream.destroyed || stream.write(chunk)) return;
  const done = new AbortController();
  const wait = (event: string) => once(stream, event, { signal: done.signal }).catch(() => {});
  await Promise.race([wait("drain"), wait("close")]);
  done.abort();
}

async function decompressed(path: string, name: string): Promise<Readable> {
  const head = await fileHead(path, 4);
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK });
  if (head[0] === GZIP[0] && head[1] === GZIP[1]) return raw.pipe(zlib.createGunzip({ chunkSize: GUNZIP_CHUNK })).on("error", () => {});
  if (ZSTD.every((b, i) => head[i] === b)) {
    const zstd = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
    if (zstd === undefined) throw new BerthError("unimplemented", `layer ${name} is zstd-compressed, which this Node.js (${process.version}) cannot decompress; use Node.js 22.15 or newer`);
    return raw.pipe(zstd()) as unknown as Readable;
  }
  return raw;
}

// applyWhiteouts replaces the layer's ".wh." files by overlayfs markers. The
// markers go in through a second, generated tar, so that tar makes the
// device nodes and sets the xattrs (Node.js has neither mknod nor setxattr).
async function applyWhiteouts(dir: string, found: LayerFindings, name: string): Promise<void> {
  if (found.markers.length === 0) return;
  for (const marker of found.markers) await rm(join(dir, marker), { force: true });
  const pack = tar.pack();
  for (const path of found.whiteouts) {
    await rm(join(dir, path), { recursive: true, force: true });
    pack.entry({ name: path, type: "character-device", mode: 0, uid: 0, gid: 0, devmajor: 0, devminor: 0 });
  }
  for (const [path, header] of found.opaque) {
    const h = header ?? { mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) };
    pack.entry({ name: path === "" ? "." : path, type: "directory", ...h, pax: { "SCHILY.xattr.trusted.overlay.opaque": "y" } } as tar.Headers);
  }
  pack.finalize();
  const execa = await loadExeca();
  const result = await execa("tar", ["-x", "-f", "-", "-C", dir, "--numeric-owner", "--same-owner", "--same-permissions", "--xattrs", "--xattrs-include=trusted.overlay.*"], {
    input: await collect(pack),
    reject: false,
  });
  if (result.exitCode !== 0) throw new BerthError("internal", `cannot write the whiteouts of layer ${name}: ${result.stderr.trim() || result.shortMessage}`);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
