// errorFields is what a log line says about an error: its code, its message
// and the messages of its causes, and the stack only of an error that is no
// BerthError (a bug, whose line number matters). pino's own error
// serializer copies every enumerable property, and execa's errors carry a
// process's whole stdout and stderr; a message says what went wrong in one
// line, which is all a log line should hold.
import { BerthError } from "../errors/berth-error.js";
import { isDaemonFault } from "./fault-codes.js";

export interface ErrorFields {
  code?: string;
  message: string;
  causes?: string[];
  stack?: string;
}

const MAX_CAUSES = 4;

export function errorFields(err: unknown): ErrorFields {
  const fields: ErrorFields = { message: messageOf(err) };
  if (err instanceof BerthError) fields.code = err.code;
  else if (err instanceof Error && err.stack !== undefined) fields.stack = err.stack;
  const causes: string[] = [];
  for (let c = (err as { cause?: unknown } | undefined)?.cause; c !== undefined && causes.length < MAX_CAUSES; c = (c as { cause?: unknown }).cause) {
    const message = messageOf(c);
    if (message !== fields.message && !fields.message.includes(message)) causes.push(message);
    if (typeof c !== "object" || c === null) break;
  }
  if (causes.length > 0) fields.causes = causes;
  return fields;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n", 1)[0]!;
  return String(err);
}

// logError writes an error the daemon cannot hand to a caller (a failed
// background save, a monitor that died, a restore that failed), its
// message as the line's message: at error when it is the daemon's own
// fault or a bug (no BerthError), at warn when its code says a caller's
// input is at fault (a poststop hook the caller gave that fails is
// FAILED_PRECONDITION).
export function logError(logger: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void }, err: unknown): void {
  const { message, ...rest } = errorFields(err);
  const fields = Object.keys(rest).length > 0 ? { err: rest } : {};
  if (err instanceof BerthError && !isDaemonFault(err.code)) logger.warn(fields, message);
  else logger.error(fields, message);
}
