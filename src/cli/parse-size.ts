// parseSize reads a byte count the way docker's flags take one: a number
// with an optional binary unit (b, k, m, g, t; case-insensitive, "64m",
// "1.5g", "512MiB").
import { UsageError } from "./usage-error.js";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const SIZE = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i;

export function parseSize(text: string, flag: string): bigint {
  const match = SIZE.exec(text.trim());
  if (match === null) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a size: give bytes or a number with k, m, g or t (64m)`);
  const bytes = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(Math.floor(bytes))) throw new UsageError(`${flag} ${text} is too large`);
  return BigInt(Math.floor(bytes));
}

// formatBytes is parseSize's inverse for display: "64.0 MiB".
export function formatBytes(bytes: bigint | number): string {
  let value = Number(bytes);
  for (const unit of ["B", "KiB", "MiB", "GiB"]) {
    if (value < 1024) return unit === "B" ? `${value} B` : `${value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return `${value.toFixed(1)} TiB`;
}
