// parseCount reads a non-negative whole number given to a flag (--tail).
import { UsageError } from "./usage-error.js";

export function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} must be a whole number`);
  }
  return Number(text);
}
