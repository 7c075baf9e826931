// createLogger makes the daemon's one logger (pino): JSON lines by default,
// or readable text through pino-pretty for a person at a terminal. Lines go
// to stderr unless a destination is given; stdout stays the CLI's own.
//
// Writes are synchronous, as pino's default destination is: a daemon that
// crashes must not lose the lines that say why, and at the default level
// only lifecycle lines and errors are written, not one per call.
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";
import type { LogFormat, LogLevel } from "./log-level.js";

export type { Logger };

export interface LoggerSettings {
  level?: LogLevel;
  format?: LogFormat;
  // destination is a file descriptor (default 2, stderr) or a stream.
  destination?: number | NodeJS.WritableStream;
  // colorize colours text lines (default: when the destination is a TTY).
  colorize?: boolean;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const { level = "info", format = "json", destination = 2 } = settings;
  // No pid or hostname in every line: the daemon is one process, its
  // supervisor knows both, and "pid" is free for a container's process.
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === "text") {
    const colorize = settings.colorize ?? (typeof destination === "number" ? process.stderr.isTTY && destination === 2 : false);
    const stream = pretty({
      destination: typeof destination === "number" ? destination : (destination as NodeJS.WritableStream & { write(chunk: string): boolean }),
      sync: true,
      colorize,
      singleLine: true,
      translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l",
    });
    return pino(options, stream);
  }
  const stream = typeof destination === "number" ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino(options, stream as pino.DestinationStream);
}
