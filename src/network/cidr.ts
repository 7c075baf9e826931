// IPv4 and IPv6 subnets as numbers, for the checks a network's settings
// need: a subnet's own address, its first host, whether two overlap.
// node:net validates addresses (isIPv4, isIPv6) but does no subnet
// arithmetic, and these few lines do not need a library.
import { isIPv4, isIPv6 } from "node:net";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

export interface Subnet {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

// parseSubnet reads "10.89.0.0/24" or "fd00:89::/64"; the host bits must be
// zero, so that what is stored is what was meant.
export function parseSubnet(field: string, text: string, family: 4 | 6, minPrefix: number, maxPrefix: number): Subnet {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const address = m?.[1] ?? "";
  const prefix = Number(m?.[2] ?? -1);
  if (m === null || !(family === 4 ? isIPv4(address) : isIPv6(address)) || prefix < minPrefix || prefix > maxPrefix) {
    throw invalidArgument(`${field} ${quote(text)} is not an IPv${family} subnet: give it in CIDR form (${family === 4 ? "10.89.1.0/24" : "fd00:89:1::/64"}), prefix length ${minPrefix} to ${maxPrefix}`);
  }
  const value = toNumber(address);
  const hostMask = (1n << BigInt(bits(family) - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    const base = formatAddress(value & ~hostMask, family);
    throw invalidArgument(`${field} ${quote(text)} has host bits set: did you mean ${base}/${prefix}?`);
  }
  return { family, base: value, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${formatAddress(s.base, s.family)}/${s.prefix}`;
}

// firstHost is the subnet's first usable address (the default gateway).
export function firstHost(s: Subnet): string {
  return formatAddress(s.base + 1n, s.family);
}

// contains says whether address lies in s, as a usable host address
// (neither the subnet's own address nor, for IPv4, its broadcast).
export function containsHost(s: Subnet, address: string): boolean {
  if (!(s.family === 4 ? isIPv4(address) : isIPv6(address))) return false;
  const value = toNumber(address);
  const size = 1n << BigInt(bits(s.family) - s.prefix);
  const last = s.base + size - 1n;
  return value > s.base && value <= last && !(s.family === 4 && value === last);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  if (a.family !== b.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  const shift = BigInt(bits(a.family) - prefix);
  return a.base >> shift === b.base >> shift;
}

export function toNumber(address: string): bigint {
  if (isIPv4(address)) return address.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
  // Expand "::" and an embedded IPv4 tail, then read eight groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const n = toNumber(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  const groups = [...Array(8).keys()].map((i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The longest run of zero groups becomes "::" (RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}
