// LogFile reads a log conmon keeps in k8s-file format, one record per line:
// "<RFC3339Nano time> <stdout|stderr> <F|P> <bytes>", where P marks a chunk
// cut before its newline. It reads from the file's start or from its current
// end, a bounded amount per call, and follows conmon's rotation: at
// --log-size-max conmon fsyncs and closes the file, then renames a fresh
// one over its path. The old file is complete by then, so it is read to its
// end before the reader moves to the new one.
import { watch, type FSWatcher } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname } from "node:path";

import type { LogLine } from "../api/client-options.js";
import { LogStream } from "../gen/berth/v1/types_pb.js";

const CHUNK = 64 * 1024;
// READ_BUDGET bounds what one read() returns, so a reader of a large log
// holds a bounded amount in memory.
export const READ_BUDGET = 1024 * 1024;

export class LogFile {
  private fh: FileHandle | undefined;
  private offset = 0;
  private pending = Buffer.alloc(0);
  // buf is reused for every read: records copy their bytes out of it.
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  private constructor(readonly path: string) {}

  // open starts at the file's first record, or with from "end" after its
  // last complete record. A file not there yet is read once it appears.
  static async open(path: string, from: "start" | "end" = "start"): Promise<LogFile> {
    const f = new LogFile(path);
    await f.reopen(from === "end");
    return f;
  }

  // read returns the complete records appended since the last call, up to
  // about budget bytes of the file; an empty array means none yet.
  async read(budget = READ_BUDGET): Promise<LogLine[]> {
    const out: LogLine[] = [];
    let taken = 0;
    while (taken < budget) {
      if (this.fh === undefined && !(await this.reopen(false))) break;
      const n = await this.readChunk(out);
      taken += n;
      if (n > 0) continue;
      // At the end of this file: if another now holds the path, conmon has
      // rotated. It closed this one before the rename, but may have written
      // to it since the read above: read it to its end, which is now final.
      if (!(await this.rotated())) break;
      for (let more = await this.readChunk(out); more > 0; more = await this.readChunk(out)) taken += more;
      await this.fh!.close();
      this.fh = undefined;
      this.offset = 0;
      this.pending = Buffer.alloc(0);
    }
    return out;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async readChunk(out: LogLine[]): Promise<number> {
    const { bytesRead } = await this.fh!.read(this.buf, 0, CHUNK, this.offset);
    if (bytesRead === 0) return 0;
    this.offset += bytesRead;
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, this.buf.subarray(0, bytesRead)]) : this.buf.subarray(0, bytesRead);
    let nl: number;
    while ((nl = data.indexOf(10)) >= 0) {
      const rec = parseRecord(data.subarray(0, nl));
      if (rec !== undefined) out.push(rec);
      data = data.subarray(nl + 1);
    }
    this.pending = Buffer.from(data);
    return bytesRead;
  }

  private async rotated(): Promise<boolean> {
    const [now, mine] = await Promise.all([stat(this.path).catch(() => undefined), this.fh!.stat()]);
    return now !== undefined && now.ino !== mine.ino;
  }

  // reopen opens the file now at the path; false when there is none yet.
  // Only the first open may start at the end: a file that appears later, or
  // replaces a rotated one, holds nothing this reader has seen.
  private async reopen(atEnd: boolean): Promise<boolean> {
    try {
      this.fh = await open(this.path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
    if (atEnd) this.offset = await endOfLastRecord(this.fh);
    return true;
  }
}

// endOfLastRecord is the offset just past the file's last newline, so a
// record being written as the reader starts is read whole, not cut.
async function endOfLastRecord(fh: FileHandle): Promise<number> {
  const { size } = await fh.stat();
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

// conmon stamps every record of one read with the same time, so parsing
// the text once per run of records saves most of the (slow) Date parsing.
let lastStamp = "";
let lastTime = new Date(0);

export function parseRecord(rec: Buffer): LogLine | undefined {
  const s1 = rec.indexOf(32);
  const s2 = rec.indexOf(32, s1 + 1);
  const s3 = rec.indexOf(32, s2 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const stamp = rec.toString("latin1", 0, s1);
  if (stamp !== lastStamp) {
    lastStamp = stamp;
    lastTime = new Date(stamp);
  }
  const time = new Date(lastTime.getTime());
  const streamName = rec.subarray(s1 + 1, s2).toString("latin1");
  const flag = s3 < 0 ? rec.subarray(s2 + 1).toString("latin1") : rec.subarray(s2 + 1, s3).toString("latin1");
  return {
    time,
    stream: streamName === "stderr" ? LogStream.STDERR : LogStream.STDOUT,
    line: s3 < 0 ? new Uint8Array(0) : new Uint8Array(rec.subarray(s3 + 1)),
    partial: flag.startsWith("P"),
  };
}

// LogWatch tells a reader that a log may have grown or been rotated, from
// inotify on the log's folder (which also sees a new file renamed over the
// path, where a watch on the file itself would go on watching the old one).
export class LogWatch {
  private watcher: FSWatcher | undefined;
  private dirty = true;
  private wake: (() => void) | undefined;

  constructor(path: string) {
    const name = basename(path);
    try {
      this.watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file === null || file === name || file === `${name}.tmp`) this.poke();
      });
      this.watcher.on("error", () => this.poke());
    } catch {
      // No folder (yet): the poll below is the safety net.
    }
  }

  // wait resolves when the log changed since the last wait, after at most
  // pollMs, or when stop settles or the signal aborts.
  wait(pollMs: number, signal?: AbortSignal, stop?: Promise<unknown>): Promise<void> {
    if (this.dirty || signal?.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.wake = undefined;
        this.dirty = false;
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      signal?.addEventListener("abort", done, { once: true });
      void stop?.then(done, done);
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.wake?.();
  }

  private poke(): void {
    this.dirty = true;
    this.wake?.();
  }
}
