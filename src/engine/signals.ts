// Signals arrive as numbers or names ("9", "KILL", "SIGKILL"); they are
// checked here so a typo is INVALID_ARGUMENT, not a runtime failure.
import { constants } from "node:os";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkSignalText } from "../spec/check-requests.js";

const BY_NAME = constants.signals as Record<string, number>;

export function parseSignal(signal: number | string): number {
  if (typeof signal === "number") return checkNumber(signal, String(signal));
  const text = signal.trim();
  if (/^\d+$/.test(text)) return checkNumber(Number(text), text);
  const upper = text.toUpperCase();
  const n = BY_NAME[upper.startsWith("SIG") ? upper : `SIG${upper}`];
  if (n === undefined) {
    throw invalidArgument(`unknown signal ${quote(signal)}: give a number (9) or a name (SIGKILL, TERM)`);
  }
  return n;
}

function checkNumber(n: number, text: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw invalidArgument(`signal ${text} is out of range: signals are 1 to 64`);
  }
  return n;
}

// signalName names a signal number as SIGNAME, or by its number when it has
// no name (real-time signals).
export function signalName(n: number): string {
  for (const [name, value] of Object.entries(BY_NAME)) if (value === n) return name;
  return String(n);
}

// stopSignalName is a container's stop signal by its SIG name; empty means
// SIGTERM. Its text is held to Signal's form: "9 " is no more 9 here.
export function stopSignalName(signal: string | undefined): string {
  if (signal === undefined || signal === "") return "SIGTERM";
  checkSignalText(signal);
  return signalName(parseSignal(signal));
}
