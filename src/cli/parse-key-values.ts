// parseKeyValues turns repeated "key=value" flags (--label) into a record;
// a later key wins, as in docker.
import { UsageError } from "./usage-error.js";

export function parseKeyValues(items: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) out[keyOf(item, flag)] = item.slice(item.indexOf("=") + 1);
  return out;
}

// checkEnv validates --env items, which travel to the process as they are.
export function checkEnv(items: readonly string[]): string[] {
  for (const item of items) keyOf(item, "--env");
  return [...items];
}

function keyOf(item: string, flag: string): string {
  const eq = item.indexOf("=");
  if (eq <= 0) throw new UsageError(`${flag} ${JSON.stringify(item)} must look like KEY=VALUE`);
  return item.slice(0, eq);
}
