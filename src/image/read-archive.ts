// readArchive reads an image archive (a `docker save` archive, an OCI image
// archive, or any tar of an OCI layout; gzip-compressed or not) in one
// pass: each blobs/sha256/<hex> member goes straight into the content
// store, verified against its name; other files (a legacy docker save's
// <id>/layer.tar) are stored under the digest of their content; the small
// JSON documents are kept in memory for the caller to interpret.
import { createReadStream } from "node:fs";
import { posix } from "node:path";
import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import { createGunzip } from "node:zlib";

import tar from "tar-stream";

import { BerthError, invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { ImageStore } from "./image-store.js";
import { isGzipFile } from "./is-gzip-file.js";

const BLOB = /^blobs\/sha256\/([a-f0-9]{64})$/;
const DOCUMENT_MAX = 8 * 1024 * 1024;
const DOCUMENTS_TOTAL_MAX = 64 * 1024 * 1024;
const MEMBERS_MAX = 100_000;

export interface ReadOptions {
  signal?: AbortSignal;
  // limit, when given, bounds the tar stream as decompressed: it gives a
  // stream that passes the bytes and fails past the bound.
  limit?: (what: string) => Transform;
}

export interface ArchiveContents {
  // documents are the small JSON files by path (index.json, manifest.json...).
  documents: Map<string, Buffer>;
  // files are the other members stored as blobs: path -> digest and size.
  files: Map<string, { digest: string; size: number }>;
}

export async function readArchive(store: ImageStore, path: string, options: ReadOptions = {}): Promise<ArchiveContents> {
  const { signal } = options;
  const contents: ArchiveContents = { documents: new Map(), files: new Map() };
  const links = new Map<string, string>();
  let documentBytes = 0;
  let members = 0;
  const extract = tar.extract();
  const gzip = await isGzipFile(path);
  const source = gzip ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  const bounded = gzip && options.limit !== undefined ? [options.limit("decompressed")] : [];
  const feeding = pipeline([source, ...bounded, extract]).catch((err: unknown) => {
    extract.destroy(err as Error);
  });
  try {
    for await (const entry of extract) {
      signal?.throwIfAborted();
      if (++members > MEMBERS_MAX) throw invalidArgument(`the archive has more than ${MEMBERS_MAX} members, more than any image needs`);
      const h = entry.header;
      const name = h.name.split("/").filter((p) => p !== "" && p !== ".").join("/");
      const blob = BLOB.exec(name);
      if (h.type === "symlink" && h.linkname) {
        links.set(name, posix.normalize(posix.join(posix.dirname(name), h.linkname)));
        entry.resume();
      } else if (h.type !== "file" && h.type !== "contiguous-file") {
        entry.resume();
      } else if (blob !== null) {
        // A blob the store has is read past, not destroyed: tar-stream's
        // extract waits for every entry to be consumed before the next.
        if (await store.has(`sha256:${blob[1]}`)) await drain(entry as unknown as Readable);
        else await store.ingest(`sha256:${blob[1]}`, h.size, entry as unknown as Readable, signal ? { signal } : {});
        contents.files.set(name, { digest: `sha256:${blob[1]}`, size: h.size ?? 0 });
      } else if ((name.endsWith(".json") || name === "oci-layout" || name === "repositories") && (h.size ?? 0) <= DOCUMENT_MAX) {
        documentBytes += h.size ?? 0;
        if (documentBytes > DOCUMENTS_TOTAL_MAX) throw invalidArgument(`the archive's JSON documents exceed ${DOCUMENTS_TOTAL_MAX} bytes`);
        contents.documents.set(name, await collect(entry as unknown as Readable));
      } else {
        const temp = store.content.tempPath("load");
        await pipeline(entry as unknown as Readable, createWriteStream(temp, { mode: 0o600 }));
        contents.files.set(name, await store.adopt(temp));
      }
    }
  } catch (err) {
    source.destroy();
    if (err instanceof BerthError) throw err;
    throw invalidArgument(`the archive is not a tar of an image (${(err as Error).message}): give a \`docker save\` archive or an OCI image archive`);
  }
  await feeding;
  for (const [link, target] of links) {
    const file = contents.files.get(target);
    if (file !== undefined) contents.files.set(link, file);
  }
  return contents;
}

// documentOf parses one JSON document of the archive.
export function documentOf(contents: ArchiveContents, path: string): unknown {
  const data = contents.documents.get(path);
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw invalidArgument(`the archive's ${quote(path)} is not JSON (${(err as Error).message})`);
  }
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
