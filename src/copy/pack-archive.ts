// statPath and packArchive are CopyFrom's two halves: the stat of a path
// inside a CopyRoot, as docker's X-Docker-Container-Path-Stat gives it, and
// a tar stream of it, walked through held folders (copy-root.ts) so that no
// link inside the container leads the walk outside. A file is read only
// once fstat of its O_PATH handle says it is a regular file: a device node
// the container made is archived as its header, never opened. The stream
// is pulled: nothing is read ahead of what the consumer takes.
import { once } from "node:events";
import { readdir, readlink, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import tar from "tar-stream";

import { copyFailure } from "./copy-errors.js";
import { containerOwner } from "./owner-map.js";
import { CopyRoot, closeNode, pathOf, release, splitPath, type Chain, type PathNode } from "./copy-root.js";
import { orClosed } from "./or-closed.js";
import { fdPath, reopenForReading } from "./proc-fd.js";

export interface FoundPath {
  chain: Chain;
  node: PathNode;
  // name is the archive's top entry: the path's last component, or "."
  // for the root and for a path ending in "/." (its content).
  name: string;
  linkTarget: string;
}

const READ_CHUNK = 256 * 1024;

// findPath resolves a client's path for CopyFrom: a final link is the link
// itself, unless the path ends with "/".
export async function findPath(root: CopyRoot, path: string): Promise<FoundPath> {
  const components = splitPath("path", path);
  const follow = path.endsWith("/") || path.endsWith("/.");
  const { chain } = await root.walk([root.root], components, { followFinal: follow });
  const node = chain.at(-1)!;
  const name = path.endsWith("/.") || chain.length === 1 ? "." : node.name;
  const linkTarget = node.stat.isSymbolicLink() ? await readlink(fdPath(chain.at(-2)!.handle, node.name)).catch(() => "") : "";
  return { chain, node, name, linkTarget };
}

// packArchive streams a tar of found; it closes found's handles when done,
// failed or abandoned.
export interface PackOptions {
  signal?: AbortSignal | undefined;
  // owner replaces every entry's owner (docker cp without -a: root).
  owner?: { uid: number; gid: number } | undefined;
}

export async function* packArchive(root: CopyRoot, found: FoundPath, options: PackOptions = {}): AsyncGenerator<Buffer> {
  const pack = tar.pack();
  const walker = new Walker(root, pack, options);
  const producing = walker.run(found).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  try {
    for await (const chunk of pack) yield chunk as Buffer;
  } finally {
    walker.stopped = true;
    pack.destroy();
    await producing;
    await release(found.chain, [root.root]);
  }
}

class Walker {
  stopped = false;
  // Files with several links, by device and inode: later ones are hard links
  // to the first name archived.
  private readonly linked = new Map<string, string>();

  constructor(
    private readonly root: CopyRoot,
    private readonly pack: tar.Pack,
    private readonly options: PackOptions,
  ) {}

  async run(found: FoundPath): Promise<void> {
    await this.node(found.chain, found.name, found.linkTarget);
  }

  // node archives the chain's last node under name, and a folder's content.
  private async node(chain: Chain, name: string, linkTarget?: string): Promise<void> {
    if (this.stopped) return;
    this.options.signal?.throwIfAborted();
    const node = chain.at(-1)!;
    const st = node.stat;
    const owner = this.options.owner ?? containerOwner(this.root.target.idMappings, { uid: st.uid, gid: st.gid });
    const header: tar.Headers = { name, mode: st.mode & 0o7777, uid: owner.uid, gid: owner.gid, mtime: st.mtime };
    try {
      if (st.isDirectory()) {
        // A trailing "/" marks a folder, as GNU tar and docker write it.
        await this.entry({ ...header, name: `${name}/`, type: "directory" });
        // A kernel file system or a mount the stopped container lacks: the
        // folder, without what the container would see in it.
        if (node.kernelFs === undefined && node.absentMount === undefined) await this.children(chain, name);
      } else if (st.isSymbolicLink()) {
        const target = linkTarget ?? (await readlink(fdPath(chain.at(-2)!.handle, node.name)));
        await this.entry({ ...header, type: "symlink", linkname: target });
      } else if (st.isFile()) {
        await this.file(node, header);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = st.rdev;
        const devmajor = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
        const devminor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
        await this.entry({ ...header, type: st.isCharacterDevice() ? "character-device" : "block-device", devmajor, devminor });
      } else if (st.isFIFO()) {
        await this.entry({ ...header, type: "fifo" });
      }
      // A socket has no tar form; docker's archiver leaves it out too.
    } catch (err) {
      throw copyFailure(err, pathOf(chain), this.root.containerId);
    }
  }

  private async children(chain: Chain, name: string): Promise<void> {
    const names = (await readdir(fdPath(chain.at(-1)!.handle))).sort();
    for (const child of names) {
      if (this.stopped) return;
      const node = await this.root.step(chain, child);
      // Removed since the folder was read.
      if (node === undefined) continue;
      try {
        await this.node([...chain, node], name === "." ? child : `${name}/${child}`);
      } finally {
        await closeNode(node);
      }
    }
  }

  private async file(node: PathNode, header: tar.Headers): Promise<void> {
    const st = node.stat;
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.linked.get(key);
      if (first !== undefined) return this.entry({ ...header, type: "link", linkname: first, size: 0 });
      this.linked.set(key, header.name);
    }
    const file = await reopenForReading(node.handle);
    try {
      const entry = this.pack.entry({ ...header, type: "file", size: st.size });
      const ended = new Promise<void>((resolve, reject) => {
        entry.once("finish", resolve);
        entry.once("error", reject);
        entry.once("close", resolve);
      });
      // Left unawaited when the copy stops midway (an abort): its failure
      // is that abort's, reported by the walk itself.
      ended.catch(() => {});
      // The pack destroyed (the consumer left) calls back and drains no more.
      await copyExactly(file, st, entry, this.options.signal, () => this.stopped, this.pack);
      entry.end();
      await orClosed(ended, this.pack);
    } finally {
      await file.close();
    }
  }

  private async entry(header: tar.Headers): Promise<void> {
    await orClosed(new Promise<void>((resolve, reject) => this.pack.entry(header, (err) => (err ? reject(err) : resolve()))), this.pack);
  }
}

// copyExactly writes exactly st.size bytes of file into entry, as its tar
// header promised: a file that shrank meanwhile is padded with zeros, one
// that grew is cut, since a tar entry's size cannot change once written.
async function copyExactly(
  file: FileHandle,
  st: Stats,
  entry: NodeJS.WritableStream,
  signal: AbortSignal | undefined,
  stopped: () => boolean,
  pack: tar.Pack,
): Promise<void> {
  let left = st.size;
  let eof = false;
  let position = 0;
  while (left > 0) {
    if (stopped()) return;
    signal?.throwIfAborted();
    const buffer = Buffer.alloc(Math.min(READ_CHUNK, left));
    let n = buffer.length;
    if (!eof) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) eof = true;
      else n = bytesRead;
    }
    position += n;
    left -= n;
    if (!entry.write(n === buffer.length ? buffer : buffer.subarray(0, n))) await orClosed(once(entry as unknown as NodeJS.EventEmitter, "drain"), pack);
  }
}
