// journalLogger gives the event journal (which takes a Console's warn and
// error) the daemon's logger: its notes become lines with the message and,
// for an error, its fields.
import type { Logger } from "../log/create-logger.js";
import { errorFields } from "../log/error-fields.js";

export function journalLogger(logger: Logger): Pick<Console, "warn" | "error"> {
  const line = (level: "warn" | "error") => (...parts: unknown[]) => {
    const errors = parts.filter((p) => p instanceof Error);
    const text = parts.filter((p) => !(p instanceof Error)).map(String).join(" ");
    logger[level](errors.length > 0 ? { err: errorFields(errors[0]) } : {}, text);
  };
  return { warn: line("warn"), error: line("error") };
}
