import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { BerthError } from "../errors/berth-error.js";

// Errors by which the kernel says a cgroup was removed under us: ENOENT on
// open, ENODEV on reading a kept kernfs descriptor, ESRCH for a dead task.
const GONE = new Set(["ENOENT", "ENODEV", "ESRCH"]);

export function cgroupGone(path: string, cause: unknown): BerthError {
  return new BerthError("failed_precondition", `container is not running: its cgroup is gone (${path})`, { cause });
}

export function isGoneError(err: unknown): boolean {
  return GONE.has((err as NodeJS.ErrnoException | undefined)?.code ?? "");
}

// OpenFile opens a cgroup file for a reader that will close it later; see
// KeptFile.open for what undefined means.
export type OpenFile = (dir: string | undefined, name: string) => KeptFile | undefined;

// openNamed opens a table of files in one dir, so a reader lists the files
// it uses as data: { usage: "memory.usage_in_bytes", ... }.
export function openNamed<K extends string>(
  open: OpenFile,
  dir: string | undefined,
  names: Record<K, string>,
): Record<K, KeptFile | undefined> {
  const files = {} as Record<K, KeptFile | undefined>;
  for (const key of Object.keys(names) as K[]) files[key] = open(dir, names[key]);
  return files;
}

// One buffer serves every read: reads are synchronous, so no two overlap
// within a thread, and each worker thread loads its own copy of this module.
let buffer = Buffer.allocUnsafe(16 * 1024);

// KeptFile is one cgroup file opened once and read again and again with
// pread at offset 0: no path lookup and no open/close per read, which is
// what makes a Stats call cost microseconds instead of a millisecond.
export class KeptFile {
  readonly path: string;
  #fd: number | undefined;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  // open opens name in dir. It returns undefined when dir is undefined (the
  // controller is not mounted) or the file does not exist in a live dir (an
  // optional file, such as memory.peak on older kernels), and throws
  // failed_precondition when dir itself is gone.
  static open(dir: string | undefined, name: string): KeptFile | undefined {
    if (dir === undefined) return undefined;
    const path = join(dir, name);
    try {
      return new KeptFile(path, openSync(path, "r"));
    } catch (err) {
      if (!isGoneError(err)) throw BerthError.from(err);
      if (!dirExists(dir)) throw cgroupGone(dir, err);
      return undefined;
    }
  }

  // readOnce reads a file not worth keeping open, with the same rules as open.
  static readOnce(dir: string | undefined, name: string): string | undefined {
    const file = KeptFile.open(dir, name);
    if (file === undefined) return undefined;
    try {
      return file.read();
    } finally {
      file.close();
    }
  }

  // read returns the file's whole current content.
  read(): string {
    if (this.#fd === undefined) throw new BerthError("internal", `read of closed cgroup file ${this.path}`);
    for (;;) {
      let n: number;
      try {
        n = readSync(this.#fd, buffer, 0, buffer.length, 0);
      } catch (err) {
        if (isGoneError(err)) throw cgroupGone(this.path, err);
        throw BerthError.from(err);
      }
      // A full buffer may have cut the file short: grow it and read again.
      if (n < buffer.length) return buffer.toString("latin1", 0, n);
      buffer = Buffer.allocUnsafe(buffer.length * 2);
    }
  }

  // close is idempotent, so a reader can close after a partial open.
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }
}

function dirExists(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch (err) {
    if (isGoneError(err)) return false;
    throw BerthError.from(err);
  }
}
