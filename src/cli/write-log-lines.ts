// writeLogLines copies a process's log lines to the terminal: stdout lines
// to stdout, stderr lines to stderr, as the process wrote them.
import type { LogLine } from "../client/client.js";
import { LogStream } from "../client/types.js";

export interface LogWriteOptions {
  timestamps?: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function writeLogLines(lines: AsyncIterable<LogLine>, options: LogWriteOptions): Promise<void> {
  // A timestamp starts a line: the rest of a cut line follows without one.
  const midLine = new Set<LogStream>();
  for await (const line of lines) {
    const out = line.stream === LogStream.STDERR ? options.stderr : options.stdout;
    if (options.timestamps && !midLine.has(line.stream)) out.write(`${line.time.toISOString()} `);
    if (line.partial) midLine.add(line.stream);
    else midLine.delete(line.stream);
    out.write(line.line);
    // A partial line was cut before its newline; the rest follows in the next.
    if (!line.partial) out.write("\n");
  }
}
