// SubordinateRange is the block of host uids and gids the daemon hands out
// to containers with a user namespace of their own (Podman's
// --userns=auto takes its blocks from /etc/subuid's "containers" entry;
// berth owns one range for both maps, a setting). It must not meet the
// ranges /etc/subuid and /etc/subgid give users, or a user's rootless
// containers would share ids with berth's.
import { readFile } from "node:fs/promises";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

export interface SubordinateRange {
  start: number;
  count: number;
}

// The default: far above any uid a distribution or /etc/subuid hands out
// (useradd starts subordinate ids at 100000, 65536 a user), room for 10,000
// containers of 65536 ids each, and below 2^31 (runc's and many tools'
// signed 32-bit ids).
export const DEFAULT_SUBORDINATE_RANGE: SubordinateRange = { start: 1_000_000_000, count: 10_000 * 65536 };

// parseSubordinateRange reads "START:COUNT" (the --subuid-range setting).
export function parseSubordinateRange(text: string, field = "subuid-range"): SubordinateRange {
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(text.trim());
  if (m === null) throw invalidArgument(`${field} ${quote(text)} must be START:COUNT, e.g. "1000000000:655360000"`);
  const range = { start: Number(m[1]), count: Number(m[2]) };
  if (range.start < 65536) throw invalidArgument(`${field} starts at ${range.start}: start at 65536 or above, clear of the host's own users`);
  if (range.count < 65536) throw invalidArgument(`${field} holds ${range.count} ids: give at least 65536, one container's worth`);
  if (range.start + range.count > 2 ** 32 - 1) throw invalidArgument(`${field} ends past ${2 ** 32 - 2}, the largest id`);
  return range;
}

// checkAgainstHost refuses a range that meets an entry of /etc/subuid or
// /etc/subgid (name:start:count); missing files hold nothing.
export async function checkAgainstHost(range: SubordinateRange, files: readonly string[] = ["/etc/subuid", "/etc/subgid"]): Promise<void> {
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      const [name, start, count] = line.trim().split(":");
      if (name === undefined || name.startsWith("#") || start === undefined || count === undefined) continue;
      const s = Number(start);
      const c = Number(count);
      if (!Number.isSafeInteger(s) || !Number.isSafeInteger(c)) continue;
      if (s < range.start + range.count && range.start < s + c) {
        throw invalidArgument(
          `the subordinate range ${range.start}:${range.count} meets ${file}'s entry ${quote(line.trim())}: give --subuid-range a block clear of it`,
        );
      }
    }
  }
}
