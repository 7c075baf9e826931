// hostRoutes lists the host's IPv4 routes from /proc/net/route (and IPv6
// ones from /proc/net/ipv6_route), so that a new network's subnet is never
// one the host already reaches some other way.
import { readFile } from "node:fs/promises";

import type { Subnet } from "./cidr.js";

export interface HostRoute {
  device: string;
  subnet: Subnet;
}

export async function hostRoutes(): Promise<HostRoute[]> {
  const out: HostRoute[] = [];
  const v4 = await readFile("/proc/net/route", "utf8").catch(() => "");
  for (const line of v4.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // Little-endian hex, as the kernel stores them.
    const le = (hex: string) => BigInt(`0x${hex.match(/../g)!.reverse().join("")}`);
    const mask = le(f[7]!);
    const prefix = mask.toString(2).replace(/0+$/, "").length;
    out.push({ device: f[0]!, subnet: { family: 4, base: le(f[1]!), prefix: mask === 0n ? 0 : prefix } });
  }
  const v6 = await readFile("/proc/net/ipv6_route", "utf8").catch(() => "");
  for (const line of v6.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const prefix = parseInt(f[1]!, 16);
    // Host routes (/128) and link-local ones say nothing about subnets.
    if (prefix === 128 || f[0]!.startsWith("fe80") || f[0]!.startsWith("ff")) continue;
    out.push({ device: f[9]!, subnet: { family: 6, base: BigInt(`0x${f[0]}`), prefix } });
  }
  return out;
}
