// readLogs streams a process's log, kept by conmon in k8s-file format (see
// src/runtime/log-file.ts). Follow keeps reading what is appended, across
// conmon's rotations, until the process has exited and the file is read to
// its end.
import type { LogLine, LogOptions } from "../api/client-options.js";
import { LogStream } from "../gen/berth/v1/types_pb.js";
import { LogFile, LogWatch } from "../runtime/log-file.js";

export { parseRecord } from "../runtime/log-file.js";

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
  const file = await LogFile.open(source.path);
  const changes = options.follow ? new LogWatch(source.path) : undefined;
  try {
    const tail = options.tail ?? 0;
    if (tail > 0) {
      // Trimmed in bulk, not by shift(): shift copies a large array, which
      // made a big tail over a long log quadratic.
      let last: LogLine[] = [];
      for (let lines = await file.read(); lines.length > 0; lines = await file.read()) {
        for (const line of lines) {
          if (!keep(line)) continue;
          last.push(line);
          if (last.length >= 2 * tail) last.splice(0, last.length - tail);
        }
      }
      if (last.length > tail) last = last.slice(-tail);
      yield* last;
    } else {
      for (let lines = await file.read(); lines.length > 0; lines = await file.read()) {
        for (const line of lines) if (keep(line)) yield line;
      }
    }
    if (changes === undefined) return;
    let exited = !source.isRunning();
    void source.exited.then(() => (exited = true));
    const untilMs = options.until?.getTime() ?? Infinity;
    while (!options.signal?.aborted && Date.now() <= untilMs) {
      const wasExited = exited;
      const lines = await file.read();
      for (const line of lines) if (keep(line)) yield line;
      if (wasExited && lines.length === 0) return;
      if (lines.length === 0) await changes.wait(POLL_MS, options.signal, source.exited);
    }
  } finally {
    changes?.close();
    await file.close();
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
