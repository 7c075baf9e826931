// ContentStore keeps blobs by digest under <root>/blobs/sha256/<hex>, as
// containerd's local content store does (core/content/local/store.go): a
// blob is written to <root>/ingest first, hashed and counted as it is
// written, and renamed into place only when its size and digest match and
// it is on disk (fsync). So a blob under blobs/ is always whole and true to
// its name; a mismatch is DATA_LOSS and nothing of it is kept.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { BerthError, dataLoss, invalidArgument, notFound } from "../errors/berth-error.js";
import { hexOf } from "./digest.js";

export interface IngestOptions {
  signal?: AbortSignal;
}

// JSON_BLOB_MAX bounds a manifest, index or config read into memory.
const JSON_BLOB_MAX = 8 * 1024 * 1024;

export class ContentStore {
  private readonly blobs: string;
  private readonly ingestDir: string;

  constructor(root: string) {
    this.blobs = join(root, "blobs", "sha256");
    this.ingestDir = join(root, "ingest");
  }

  // open makes the folders and drops what ingests cut short by a crash left
  // (no live ingest exists before the store is opened).
  async open(): Promise<void> {
    await rm(this.ingestDir, { recursive: true, force: true });
    await mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
    await mkdir(this.blobs, { recursive: true, mode: 0o700 });
  }

  path(digest: string): string {
    return join(this.blobs, hexOf(digest));
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  // size returns the blob's size in bytes, NOT_FOUND when it is not stored.
  async size(digest: string): Promise<number> {
    try {
      return (await stat(this.path(digest))).size;
    } catch {
      throw notFound(`blob ${digest} is not in the image store`);
    }
  }

  // ingest stores the bytes of readable as the blob digest. size is the
  // expected length (undefined when unknown); more bytes than that stop the
  // write at once. A blob already stored is not read again: readable is
  // destroyed and the call resolves. Aborting signal stops the write
  // (CANCELED) and leaves nothing behind.
  async ingest(digest: string, size: number | undefined, readable: Readable, options: IngestOptions = {}): Promise<void> {
    const hex = hexOf(digest);
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw invalidArgument(`blob ${digest} has an impossible size ${size}`);
    if (await this.has(digest)) {
      readable.destroy();
      return;
    }
    const temp = join(this.ingestDir, `${hex}-${randomBytes(6).toString("hex")}`);
    const hash = createHash("sha256");
    let written = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        if (size !== undefined && written > size) {
          done(dataLoss(`blob ${digest} is longer than its ${size} bytes; it was not kept`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(readable, counter, createWriteStream(temp, { mode: 0o600 }), options.signal ? { signal: options.signal } : {});
      if (size !== undefined && written !== size) throw dataLoss(`blob ${digest} ended after ${written} of its ${size} bytes; it was not kept`);
      const actual = hash.digest("hex");
      if (actual !== hex) throw dataLoss(`blob ${digest} does not match its digest (its content is sha256:${actual}); it was not kept`);
      await syncFile(temp);
      await rename(temp, join(this.blobs, hex));
      await syncFile(this.blobs);
    } catch (err) {
      await rm(temp, { force: true });
      if (options.signal?.aborted === true) throw new BerthError("canceled", `writing blob ${digest} was canceled; nothing of it was kept`, { cause: err });
      throw err;
    }
  }

  // tempPath names a fresh file in the ingest folder, for adopt.
  tempPath(label: string): string {
    return join(this.ingestDir, `${label}-${randomBytes(6).toString("hex")}`);
  }

  // adopt moves a file written in the ingest folder (tempPath) into the
  // store under the digest of its content, which it returns with its size.
  // beforePlace hears the digest before the blob is in place.
  async adopt(temp: string, beforePlace?: (digest: string) => void): Promise<{ digest: string; size: number }> {
    try {
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of createReadStream(temp)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      const hex = hash.digest("hex");
      beforePlace?.(`sha256:${hex}`);
      await syncFile(temp);
      await rename(temp, join(this.blobs, hex));
      await syncFile(this.blobs);
      return { digest: `sha256:${hex}`, size };
    } finally {
      await rm(temp, { force: true });
    }
  }

  // readJson reads a small JSON blob (manifest, index, config).
  async readJson(digest: string): Promise<Record<string, unknown>> {
    const path = this.path(digest);
    const size = await this.size(digest);
    if (size > JSON_BLOB_MAX) throw invalidArgument(`blob ${digest} is ${size} bytes, too large for a manifest or config (at most ${JSON_BLOB_MAX})`);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, "utf8"));
    } catch (err) {
      throw invalidArgument(`blob ${digest} is not JSON (${(err as Error).message}), so it is no manifest or config`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidArgument(`blob ${digest} is not a JSON object`);
    return value as Record<string, unknown>;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  // list returns the digests of every stored blob.
  async list(): Promise<string[]> {
    const names = await readdir(this.blobs).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
