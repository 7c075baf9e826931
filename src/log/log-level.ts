// The levels the daemon's logger takes (pino's own names), and the one
// check of a level a person or a client gives.
import { invalidArgument } from "../errors/berth-error.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["json", "text"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

// parseLogLevel returns value as a level, or INVALID_ARGUMENT naming the
// ones allowed; what names the setting in the message ("log level").
export function parseLogLevel(value: string, what = "log level"): LogLevel {
  if (isLogLevel(value)) return value;
  throw invalidArgument(`${what} ${JSON.stringify(value.slice(0, 64))} is not a level: give one of ${LOG_LEVELS.join(", ")}`);
}

export function parseLogFormat(value: string, what = "log format"): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw invalidArgument(`${what} ${JSON.stringify(value.slice(0, 64))} is not a format: give json (one JSON object a line) or text (for a terminal)`);
}
