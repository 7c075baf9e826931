// CopyRoot is a container's "/" held open, and the one way src/copy looks
// anything up in it: each step opens one name in a folder berth holds
// (proc-fd.ts), a symbolic link is read and resolved by berth itself
// against the container's root, and ".." pops berth's own chain of folders,
// so that no path, no link (absolute, "../../..", /proc/self/root) and no
// link swapped in mid-copy leads outside the root: the kernel never follows
// a link on berth's behalf. Docker's pkg/chrootarchive gets the same by
// chrooting a child; Node cannot chroot, and a chain of held folders needs
// no child and works the same whether the container runs or not.
//
// A running container is reached through /proc/<pid>/root, so its volumes
// are crossed by the kernel as the container sees them; for a created or
// stopped one, whose mounts exist only while it runs, the step into a bind
// mount's destination opens its host source instead, and other mounts
// (tmpfs, proc) are refused. Kernel file systems (proc, sysfs, cgroup...)
// are never entered: berth runs as root on the host, and writing or reading
// through them as root is not what a container's own files are.
import { readlink, statfs, mkdir, open, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";

import type { CopyMount, CopyTarget } from "../api/copy-target.js";
import { failedPrecondition, invalidArgument, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { copyFailure } from "./copy-errors.js";
import { fdPath, isPlainName, O_DIRECTORY, O_PATH, openNoFollow } from "./proc-fd.js";

// PathNode is one held file: an O_PATH handle and what fstat said of it.
export interface PathNode {
  handle: FileHandle;
  // name is the component's name; "" for the root.
  name: string;
  stat: Stats;
  // kernelFs names a kernel file system this folder is the root of.
  kernelFs?: string | undefined;
  // absentMount is the type of a mount the stopped container gets only
  // when it runs (a tmpfs, proc): there is nothing of it to copy.
  absentMount?: string | undefined;
  owned: boolean;
}

// Chain is the nodes from the root to a path, the root first.
export type Chain = PathNode[];

const MAX_LINKS = 40;

// Kernel file systems by statfs magic (linux/magic.h).
const KERNEL_FS = new Map<number, string>([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x1cd1, "devpts"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x73636673, "securityfs"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x19800202, "mqueue"],
  [0xcafe4a11, "bpf"],
  [0x62656570, "configfs"],
  [0x6165676c, "pstore"],
  [0xde5e81e4, "efivarfs"],
  [0x42494e4d, "binfmt_misc"],
  [0xf97cff8c, "selinuxfs"],
  [0x6e736673, "nsfs"],
  [0x65735543, "fusectl"],
]);

const KERNEL_FS_TYPES = new Set(KERNEL_FS.values());

export interface WalkOptions {
  // followFinal follows a symbolic link in the last component.
  followFinal: boolean;
  // missingFinal returns a missing last component instead of failing.
  missingFinal?: boolean;
  // makeFolders creates missing folders (mode 0755): every component is
  // to be a folder.
  makeFolders?: boolean;
}

export interface WalkResult {
  chain: Chain;
  // missing is the last component's name when it does not exist.
  missing?: string;
}

export class CopyRoot {
  private constructor(
    readonly target: CopyTarget,
    readonly root: PathNode,
  ) {}

  static async open(target: CopyTarget): Promise<CopyRoot> {
    let handle: FileHandle;
    try {
      // Following /proc/<pid>/root here is the point: it is the container's
      // root in its own mount namespace.
      handle = await open(target.rootPath, O_PATH | O_DIRECTORY);
    } catch (err) {
      throw failedPrecondition(`cannot reach the root filesystem of container ${quote(target.containerId)} (${(err as Error).message}): it may have just stopped; try again`);
    }
    if (!(await target.stillOwned())) {
      await handle.close();
      throw failedPrecondition(`container ${quote(target.containerId)} stopped as the copy began: try again`);
    }
    return new CopyRoot(target, { handle, name: "", stat: await handle.stat(), owned: false });
  }

  get containerId(): string {
    return this.target.containerId;
  }

  async close(): Promise<void> {
    await this.root.handle.close();
  }

  // step opens name in the chain's last folder, not following a final
  // link; undefined when there is no such name.
  async step(chain: Chain, name: string): Promise<PathNode | undefined> {
    const parent = chain.at(-1)!;
    const path = childPath(chain, name);
    const mount = this.target.live ? undefined : this.target.mounts.find((m) => m.destination === path);
    let handle: FileHandle;
    try {
      if (mount !== undefined && mount.source === undefined) {
        // What lies under the mount point in the root is hidden while the
        // container runs: stand on it, but mark it.
        handle = await openNoFollow(parent.handle, name).catch(() => open(fdPath(parent.handle), O_PATH | O_DIRECTORY));
      } else if (mount !== undefined) {
        // A bind source is the host path its creator gave, followed on the host.
        handle = await open(mount.source!, O_PATH);
      } else {
        handle = await openNoFollow(parent.handle, name);
      }
    } catch (err) {
      if (err instanceof Error && "code" in err && err.code === "ENOENT") return undefined;
      throw copyFailure(err, path, this.containerId);
    }
    const stat = await handle.stat();
    const node: PathNode = { handle, name, stat, owned: true };
    if (mount !== undefined && mount.source === undefined) {
      if (KERNEL_FS_TYPES.has(mount.type)) node.kernelFs = mount.type;
      else node.absentMount = mount.type;
    }
    if (stat.isDirectory() && stat.dev !== parent.stat.dev) {
      const kernelFs = KERNEL_FS.get((await statfs(fdPath(handle))).type);
      if (kernelFs !== undefined) node.kernelFs = kernelFs;
    }
    return node;
  }

  // walk follows components from start, resolving links inside the root.
  // The chain it returns shares start's nodes; release() closes the rest.
  async walk(start: Chain, components: string[], options: WalkOptions): Promise<WalkResult> {
    const chain = [...start];
    const queue = [...components];
    let links = 0;
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (name === "" || name === ".") continue;
      if (name === "..") {
        if (chain.length > 1) await closeNode(chain.pop()!);
        continue;
      }
      const last = queue.every((n) => n === "" || n === ".");
      const path = childPath(chain, name);
      if (!isPlainName(name)) throw invalidArgument(`path ${quote(path)} holds a NUL byte`);
      let node = await this.step(chain, name);
      if (node === undefined && options.makeFolders === true) {
        await mkdir(fdPath(chain.at(-1)!.handle, name), 0o755).catch((err: unknown) => {
          if (!(err instanceof Error && "code" in err && err.code === "EEXIST")) throw copyFailure(err, path, this.containerId);
        });
        node = await this.step(chain, name);
      }
      if (node === undefined) {
        if (last && options.missingFinal === true) return { chain, missing: name };
        await release(chain);
        throw notFound(`no file or folder ${quote(path)} in container ${quote(this.containerId)}: name an existing path`);
      }
      if (node.stat.isSymbolicLink() && (!last || options.followFinal)) {
        await closeNode(node);
        if (++links > MAX_LINKS) {
          await release(chain);
          throw invalidArgument(`${quote(path)} in container ${quote(this.containerId)} goes through more than ${MAX_LINKS} symbolic links`);
        }
        let target: string;
        try {
          target = await readlink(fdPath(chain.at(-1)!.handle, name));
        } catch {
          // Swapped for something else since it was opened: look again.
          queue.unshift(name);
          continue;
        }
        if (target.startsWith("/")) while (chain.length > 1) await closeNode(chain.pop()!);
        queue.unshift(...target.split("/"));
        continue;
      }
      chain.push(node);
      try {
        this.checkEnterable(chain, last);
      } catch (err) {
        await release(chain);
        throw err;
      }
    }
    return { chain };
  }

  private checkEnterable(chain: Chain, last: boolean): void {
    const node = chain.at(-1)!;
    const path = pathOf(chain);
    if (node.kernelFs !== undefined) {
      throw invalidArgument(`${quote(path)} in container ${quote(this.containerId)} is on ${node.kernelFs}, a kernel file system: berth copies only the container's own files`);
    }
    if (node.absentMount !== undefined) {
      throw failedPrecondition(
        `${quote(path)} in container ${quote(this.containerId)} is a ${node.absentMount} mount, made afresh each time the container starts: start the container, then copy`,
      );
    }
    if (!last && !node.stat.isDirectory()) throw invalidArgument(`${quote(path)} in container ${quote(this.containerId)} is not a folder`);
  }

  // mountOf is the mount a path of the container is on: the deepest whose
  // destination holds it, or the root.
  mountOf(path: string): CopyMount {
    let best: CopyMount = { destination: "/", source: undefined, type: "rootfs", readOnly: this.target.readOnlyRoot };
    for (const m of this.target.mounts) {
      if ((path === m.destination || path.startsWith(`${m.destination}/`)) && m.destination.length >= best.destination.length) best = m;
    }
    return best;
  }
}

// pathOf is a chain's path inside the container.
export function pathOf(chain: Chain): string {
  return `/${chain.slice(1).map((n) => n.name).join("/")}`;
}

function childPath(chain: Chain, name: string): string {
  const parent = pathOf(chain);
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

export async function closeNode(node: PathNode): Promise<void> {
  if (node.owned) await node.handle.close().catch(() => {});
}

// release closes the nodes of a chain that walk opened.
export async function release(chain: Chain, keep: Chain = []): Promise<void> {
  for (const node of chain) if (!keep.includes(node)) await closeNode(node);
}

// splitPath splits a client's absolute path into components.
export function splitPath(field: string, path: string): string[] {
  if (!path.startsWith("/")) throw invalidArgument(`${field} ${quote(path)} must be an absolute path inside the container, e.g. "/tmp"`);
  if (path.includes("\0")) throw invalidArgument(`${field} ${quote(path)} holds a NUL byte`);
  if (Buffer.byteLength(path) > 4095) throw invalidArgument(`${field} ${quote(path)} is longer than PATH_MAX (4095 bytes)`);
  return path.split("/").filter((c) => c !== "" && c !== ".");
}
