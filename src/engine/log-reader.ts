// readLogs streams a process's log, kept by conmon in k8s-file format: one
// record per line, "<RFC3339Nano time> <stdout|stderr> <F|P> <bytes>", where
// P marks a line cut before its newline. Follow keeps reading what is
// appended until the process has exited and the file is read to its end.
import { open, type FileHandle } from "node:fs/promises";
import { watch } from "node:fs";

import type { LogLine, LogOptions } from "../client/client.js";
import { LogStream } from "../gen/berth/v1/types_pb.js";

const CHUNK = 64 * 1024;
const POLL_MS = 250;

export interface LogSource {
  path: string;
  // exited resolves when the process has ended (its last line is then in
  // the file: conmon drains output before it reports the exit).
  exited: Promise<unknown>;
  isRunning(): boolean;
}

export async function* readLogs(source: LogSource, options: LogOptions = {}): AsyncGenerator<LogLine> {
  const keep = lineFilter(options);
  const fh = await open(source.path, "r").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (fh === undefined) return;
  try {
    const reader = new LineReader(fh);
    const tail = options.tail ?? 0;
    if (tail > 0) {
      const last: LogLine[] = [];
      for (const line of await reader.readAvailable()) {
        if (!keep(line)) continue;
        last.push(line);
        if (last.length > tail) last.shift();
      }
      yield* last;
    } else {
      for (const line of await reader.readAvailable()) if (keep(line)) yield line;
    }
    if (!options.follow) return;
    let exited = !source.isRunning();
    void source.exited.then(() => (exited = true));
    const untilMs = options.until?.getTime() ?? Infinity;
    while (!options.signal?.aborted && Date.now() <= untilMs) {
      const wasExited = exited;
      const lines = await reader.readAvailable();
      for (const line of lines) if (keep(line)) yield line;
      if (wasExited && lines.length === 0) return;
      if (lines.length === 0) await changed(source.path, options.signal, source.exited);
    }
  } finally {
    await fh.close();
  }
}

function lineFilter(o: LogOptions): (l: LogLine) => boolean {
  const both = !o.stdout && !o.stderr;
  const sinceMs = o.since?.getTime() ?? -Infinity;
  const untilMs = o.until?.getTime() ?? Infinity;
  return (l) => {
    if (!both && ((l.stream === LogStream.STDOUT && !o.stdout) || (l.stream === LogStream.STDERR && !o.stderr))) return false;
    const t = l.time.getTime();
    return t >= sinceMs && t <= untilMs;
  };
}

// changed resolves when the file may have grown, the process exited, or
// the caller gave up; inotify with a poll as the safety net.
function changed(path: string, signal: AbortSignal | undefined, exited: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(path, { persistent: false }, () => done());
    w.on("error", () => done());
    const timer = setTimeout(done, POLL_MS);
    signal?.addEventListener("abort", done, { once: true });
    void exited.then(done);
    function done() {
      clearTimeout(timer);
      w.close();
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

// LineReader reads whole records from the current offset; a record still
// being written (no newline yet) waits for the next read. A file that shrank
// was rotated: reading starts over from its beginning.
class LineReader {
  private offset = 0;
  private pending = Buffer.alloc(0);

  constructor(private readonly fh: FileHandle) {}

  async readAvailable(): Promise<LogLine[]> {
    const { size } = await this.fh.stat();
    if (size < this.offset) {
      this.offset = 0;
      this.pending = Buffer.alloc(0);
    }
    const out: LogLine[] = [];
    const buf = Buffer.allocUnsafe(CHUNK);
    while (this.offset < size) {
      const { bytesRead } = await this.fh.read(buf, 0, CHUNK, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      let data = Buffer.concat([this.pending, buf.subarray(0, bytesRead)]);
      let nl: number;
      while ((nl = data.indexOf(10)) >= 0) {
        const rec = parseRecord(data.subarray(0, nl));
        if (rec !== undefined) out.push(rec);
        data = data.subarray(nl + 1);
      }
      this.pending = Buffer.from(data);
    }
    return out;
  }
}

export function parseRecord(rec: Buffer): LogLine | undefined {
  const s1 = rec.indexOf(32);
  const s2 = rec.indexOf(32, s1 + 1);
  const s3 = rec.indexOf(32, s2 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const time = new Date(rec.subarray(0, s1).toString("latin1"));
  const streamName = rec.subarray(s1 + 1, s2).toString("latin1");
  const flag = s3 < 0 ? rec.subarray(s2 + 1).toString("latin1") : rec.subarray(s2 + 1, s3).toString("latin1");
  return {
    time,
    stream: streamName === "stderr" ? LogStream.STDERR : LogStream.STDOUT,
    line: s3 < 0 ? new Uint8Array(0) : new Uint8Array(rec.subarray(s3 + 1)),
    partial: flag.startsWith("P"),
  };
}
