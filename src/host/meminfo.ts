// The host's memory as /proc/meminfo tells it.
import { readFile } from "node:fs/promises";

import { BerthError } from "../errors/berth-error.js";

// readMemTotal is the host's usable RAM in bytes.
export async function readMemTotal(file = "/proc/meminfo"): Promise<bigint> {
  return parseMemTotal(await readFile(file, "utf8"));
}

// parseMemTotal reads the MemTotal line. The kernel's "kB" there is KiB
// (fs/proc/meminfo.c shifts pages by PAGE_SHIFT - 10).
export function parseMemTotal(meminfo: string): bigint {
  const m = /^MemTotal:\s+(\d+)\s+kB$/m.exec(meminfo);
  if (m === null) throw new BerthError("internal", "/proc/meminfo has no MemTotal line");
  return BigInt(m[1]!) * 1024n;
}
