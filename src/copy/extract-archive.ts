// extractArchive unpacks a tar stream into a folder of a CopyRoot, as tar
// -x --same-owner --same-permissions would inside a chroot: every entry's
// folders are looked up through the root (copy-root.ts), its last
// component is replaced, never followed, and a hard link's target is
// looked up the same way, so no entry can write outside the root. Modes,
// owners, times, symbolic and hard links are kept; folder times are set
// last, since writing into a folder changes its time.
import { once } from "node:events";
import { chmod, chown, lchown, link, lutimes, mkdir, open, rmdir, symlink, unlink, utimes } from "node:fs/promises";
import tar from "tar-stream";

import { BerthError, failedPrecondition, invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { copyFailure } from "./copy-errors.js";
import { CopyRoot, pathOf, release, splitPath, type Chain } from "./copy-root.js";
import { orClosed } from "./or-closed.js";
import { hostOwner, type Owner } from "./owner-map.js";
import { checkOneFile, oneFileHeader, type OneFile } from "./one-file.js";
import { fdPath, O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } from "./proc-fd.js";

export interface ExtractOptions {
  signal?: AbortSignal | undefined;
  // rename replaces the first component of every entry (docker cp's copy
  // to a new name).
  rename?: { from: string; to: string } | undefined;
  // sameOwner applies the entries' owners (the default); off, the files
  // are the caller's own, as with tar --no-same-owner.
  sameOwner?: boolean;
}

export interface ExtractResult {
  entries: number;
  bytes: number;
}

type Header = tar.Headers;

// extractArchive extracts a tar stream, or with file set writes source as
// that one file's content.
export async function extractArchive(
  root: CopyRoot,
  destDir: string,
  source: AsyncIterable<Uint8Array>,
  options: ExtractOptions & { file?: OneFile | undefined } = {},
): Promise<ExtractResult> {
  if (options.file !== undefined) checkOneFile(options.file);
  const { chain: dest } = await root.walk([root.root], splitPath("dest_dir", destDir), { followFinal: true });
  const x = new Extraction(root, dest, options);
  try {
    if (!dest.at(-1)!.stat.isDirectory()) throw invalidArgument(`dest_dir ${quote(destDir)} in container ${quote(root.containerId)} is not a folder`);
    x.checkWritable(pathOf(dest));
    return await (options.file === undefined ? x.run(source) : x.one(options.file, source));
  } finally {
    await release(dest, [root.root]);
  }
}

class Extraction {
  private readonly result: ExtractResult = { entries: 0, bytes: 0 };
  private readonly folderTimes: Array<{ components: string[]; mtime: Date }> = [];
  // sourceError is the source's own failure (a cancelled call), kept apart
  // from the archive's.
  private sourceError: unknown;

  constructor(
    private readonly root: CopyRoot,
    private readonly dest: Chain,
    private readonly options: ExtractOptions,
  ) {}

  checkWritable(path: string): void {
    const mount = this.root.mountOf(path);
    if (!mount.readOnly) return;
    const what = mount.destination === "/" ? "its root filesystem is read-only" : `the volume at ${quote(mount.destination)} is read-only`;
    throw failedPrecondition(`cannot copy into ${quote(path)} of container ${quote(this.root.containerId)}: ${what}`);
  }

  async one(file: OneFile, content: AsyncIterable<Uint8Array>): Promise<ExtractResult> {
    await this.entry(oneFileHeader(file), asBuffers(content), () => {});
    return this.result;
  }

  async run(source: AsyncIterable<Uint8Array>): Promise<ExtractResult> {
    const extract = tar.extract();
    const feeding = feed(source, extract, this.options.signal).catch((err: unknown) => {
      this.sourceError = err;
      throw err;
    });
    try {
      for await (const entry of extract) {
        this.options.signal?.throwIfAborted();
        await this.entry(entry.header, entry, () => entry.resume());
      }
      await feeding;
      await this.setFolderTimes();
    } catch (err) {
      extract.destroy();
      feeding.catch(() => {});
      // What tar-stream itself throws is about the bytes: not a tar.
      if (err instanceof BerthError || err === this.sourceError || this.options.signal?.aborted) throw err;
      throw invalidArgument(`the data is not a valid tar archive (${err instanceof Error ? err.message : String(err)}): send a tar stream, or set file for one file's content`);
    }
    return this.result;
  }

  // entry writes one entry; drain discards what of its content is left.
  private async entry(header: Header, content: AsyncIterable<Buffer>, drain: () => void): Promise<void> {
    const type = header.type ?? "file";
    if (type === "pax-global-header") return drain();
    const components = this.componentsOf(header.name);
    if (components.length === 0) return drain();
    const { chain } = await this.root.walk(this.dest, components.slice(0, -1), { followFinal: true, makeFolders: true });
    const name = components.at(-1)!;
    const parent = chain.at(-1)!;
    const path = `${pathOf(chain)}/${name}`.replace(/^\/\//, "/");
    try {
      if (!parent.stat.isDirectory()) throw invalidArgument(`${quote(pathOf(chain))} in container ${quote(this.root.containerId)} is not a folder`);
      this.checkWritable(path);
      const at = fdPath(parent.handle, name);
      if (type === "directory") {
        await this.folder(chain, name, at, header);
        this.folderTimes.push({ components, mtime: header.mtime ?? new Date() });
      } else {
        await this.clear(chain, name);
        if (type === "file" || type === "contiguous-file") await this.file(at, header, content);
        else if (type === "symlink") await this.symlink(at, header);
        else if (type === "link") await this.hardLink(at, header);
        else throw invalidArgument(`archive entry ${quote(header.name)} is a ${type}: berth copies files, folders, symbolic and hard links`);
      }
      this.result.entries++;
    } catch (err) {
      throw copyFailure(err, path, this.root.containerId);
    } finally {
      drain();
      await release(chain, this.dest);
    }
  }

  // componentsOf is an entry's path below the destination; ".." anywhere
  // would leave it.
  private componentsOf(name: string): string[] {
    const components = name.split("/").filter((c) => c !== "" && c !== ".");
    if (components.includes("..")) throw invalidArgument(`archive entry ${quote(name)} has a ".." component, which would leave the destination folder`);
    if (name.includes("\0")) throw invalidArgument(`archive entry ${quote(name)} holds a NUL byte`);
    const rename = this.options.rename;
    if (rename !== undefined && components[0] === rename.from) components[0] = rename.to;
    return components;
  }

  // clear removes what stands at name so that a new entry takes its place.
  private async clear(chain: Chain, name: string): Promise<void> {
    const existing = await this.root.step(chain, name);
    if (existing === undefined) return;
    await existing.handle.close();
    const at = fdPath(chain.at(-1)!.handle, name);
    if (existing.stat.isDirectory()) await rmdir(at);
    else await unlink(at);
  }

  private async folder(chain: Chain, name: string, at: string, header: Header): Promise<void> {
    let existing = await this.root.step(chain, name);
    if (existing !== undefined && !existing.stat.isDirectory()) {
      await existing.handle.close();
      await unlink(at);
      existing = undefined;
    }
    if (existing === undefined) {
      await mkdir(at, 0o700);
      existing = await this.root.step(chain, name);
      if (existing === undefined || !existing.stat.isDirectory()) throw failedPrecondition(`the folder ${quote(name)} changed as it was made`);
    }
    try {
      // Through the handle: the folder just checked, whatever now sits at name.
      const held = fdPath(existing.handle);
      await this.chown(header, (o) => chown(held, o.uid, o.gid));
      await chmod(held, (header.mode ?? 0o755) & 0o7777);
    } finally {
      await existing.handle.close();
    }
  }

  private async file(at: string, header: Header, content: AsyncIterable<Buffer>): Promise<void> {
    const file = await open(at, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of content) {
        this.options.signal?.throwIfAborted();
        await file.write(chunk);
        this.result.bytes += chunk.length;
      }
      await this.chown(header, (o) => file.chown(o.uid, o.gid));
      // After chown, which clears set-uid and set-gid bits.
      await file.chmod((header.mode ?? 0o644) & 0o7777);
      const mtime = header.mtime ?? new Date();
      await file.utimes(mtime, mtime);
    } finally {
      await file.close();
    }
  }

  private async symlink(at: string, header: Header): Promise<void> {
    // The target is only text to the kernel here; it is the container's
    // to follow, and berth never follows it on the host.
    await symlink(header.linkname ?? "", at);
    await this.chown(header, (o) => lchown(at, o.uid, o.gid));
    const mtime = header.mtime ?? new Date();
    await lutimes(at, mtime, mtime);
  }

  private async hardLink(at: string, header: Header): Promise<void> {
    const components = this.componentsOf(header.linkname ?? "");
    if (components.length === 0) throw invalidArgument(`archive entry ${quote(header.name)} is a hard link to nothing`);
    const { chain } = await this.root.walk(this.dest, components.slice(0, -1), { followFinal: true });
    try {
      const target = await this.root.step(chain, components.at(-1)!);
      if (target === undefined) throw invalidArgument(`archive entry ${quote(header.name)} links to ${quote(header.linkname)}, which the archive has not made`);
      await target.handle.close();
      if (target.stat.isDirectory()) throw invalidArgument(`archive entry ${quote(header.name)} is a hard link to a folder`);
      await link(fdPath(chain.at(-1)!.handle, components.at(-1)!), at);
    } finally {
      await release(chain, this.dest);
    }
  }

  private async chown(header: Header, change: (owner: Owner) => Promise<void>): Promise<void> {
    if (this.options.sameOwner === false) return;
    await change(hostOwner(this.root.target.idMappings, { uid: header.uid ?? 0, gid: header.gid ?? 0 }, header.name));
  }

  private async setFolderTimes(): Promise<void> {
    for (const { components, mtime } of this.folderTimes.reverse()) {
      // Gone or replaced since: nothing to set.
      const found = await this.root.walk(this.dest, components, { followFinal: false, missingFinal: true }).catch(() => undefined);
      if (found === undefined) continue;
      const { chain, missing } = found;
      try {
        const node = chain.at(-1)!;
        if (missing === undefined && node.stat.isDirectory()) await utimes(fdPath(node.handle), mtime, mtime);
      } finally {
        await release(chain, this.dest);
      }
    }
  }
}

// feed writes the source into the extractor, waiting while it is full. It
// ends when the extractor is destroyed (the extraction failed), without
// waiting for a source that may never send again.
async function feed(source: AsyncIterable<Uint8Array>, extract: tar.Extract, signal: AbortSignal | undefined): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (extract.destroyed) return;
      const next = await orClosed(it.next(), extract);
      if (next === undefined || extract.destroyed) return;
      if (next.done === true) break;
      signal?.throwIfAborted();
      if (!extract.write(asBuffer(next.value))) await orClosed(once(extract, "drain", { signal }), extract);
    }
    extract.end();
  } catch (err) {
    extract.destroy(err as Error);
    throw err;
  } finally {
    if (extract.destroyed) void it.return?.(undefined)?.catch(() => {});
  }
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* asBuffers(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield asBuffer(chunk);
}
