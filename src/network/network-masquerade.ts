// A bridge network's outbound NAT, one chain per network, as Docker and
// netavark keep it, in place of the bridge plugin's ipMasq, which makes a
// chain and three rules per container (SetupIPMasq in the plugins'
// pkg/ip/ipmasq_linux.go): nine iptables processes inside every ADD,
// measured at 40-50 ms of the bridge plugin's ~100 on this machine. The
// rules are the plugin's, with the network's subnet for the container's
// address: traffic from the subnet to the subnet is left alone, multicast
// too, the rest is masqueraded.
//
//   -t nat -N BERTH-MASQ-<bridge>
//   -A BERTH-MASQ-<bridge> -d <subnet> -j ACCEPT
//   -A BERTH-MASQ-<bridge> ! -d 224.0.0.0/4 -j MASQUERADE   (ff00::/8 for v6)
//   -A POSTROUTING -s <subnet> -m comment --comment "berth network <name>" -j BERTH-MASQ-<bridge>
//
// A connect checks them in its listing of the host's rules (host-rules.ts,
// beside the bridge plugin) and sets what is missing with one
// iptables-restore (the chain is declared, so rebuilt, in --noflush mode); RemoveNetwork takes them away
// (removeMasquerade, from removeBridge). Written by hand: no plugin keeps
// per-network rules, and there is no Node binding for netfilter.
import { BerthError } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { HostRules, IpTool } from "./host-rules.js";
import type { NetworkDef } from "./network-def.js";
import { quickSpawn } from "../runtime/quick-spawn.js";

const TIMEOUT_MS = 30_000;

// masqueradeChainOf is the network's nat chain (at most 28 characters: a
// bridge name has at most 15).
export function masqueradeChainOf(bridge: string): string {
  return `BERTH-MASQ-${bridge}`;
}

interface Family {
  tool: IpTool;
  subnet: string;
  multicast: string;
}

function familiesOf(def: NetworkDef): Family[] {
  const out: Family[] = [{ tool: "iptables", subnet: def.subnet, multicast: "224.0.0.0/4" }];
  if (def.ipv6Subnet !== undefined) out.push({ tool: "ip6tables", subnet: def.ipv6Subnet, multicast: "ff00::/8" });
  return out;
}

// Masquerading makes sure a network's rules are on the host: found in
// place in the connect's listing, nothing more is run; otherwise they are
// set up one network at a time, from a listing of their own taken then,
// so two Creates never add the jump twice. An internal network has none
// (it has no way out).
export class Masquerading {
  private readonly pending = new Map<string, Promise<void>>();

  async ensure(def: NetworkDef, listed: Promise<HostRules>): Promise<void> {
    if (def.internal) return;
    const rules = await listed;
    const missing = familiesOf(def).filter((f) => !inPlace(def, f, rules[f.tool]?.get("nat") ?? []));
    if (missing.length === 0) return;
    const run = (this.pending.get(def.bridge) ?? Promise.resolve()).catch(() => {}).then(() => Promise.all(missing.map((f) => ensureFamily(def, f))).then(() => {}));
    this.pending.set(def.bridge, run);
    return run;
  }
}

function rulesOf(def: NetworkDef, f: Family): string[] {
  const chain = masqueradeChainOf(def.bridge);
  return [`-A ${chain} -d ${f.subnet} -j ACCEPT`, `-A ${chain} ! -d ${f.multicast} -j MASQUERADE`];
}

// The jump is known by its target, so a subnet printed otherwise than
// berth writes it never adds a second one.
function jumpedIn(chain: string, lines: readonly string[]): boolean {
  return lines.some((l) => l.startsWith("-A POSTROUTING ") && l.endsWith(` -j ${chain}`));
}

function inPlace(def: NetworkDef, f: Family, lines: readonly string[]): boolean {
  const chain = masqueradeChainOf(def.bridge);
  const rules = rulesOf(def, f);
  const chained = lines.filter((l) => l.startsWith(`-A ${chain} `));
  return jumpedIn(chain, lines) && chained.length === rules.length && rules.every((r) => chained.includes(r));
}

async function ensureFamily(def: NetworkDef, f: Family): Promise<void> {
  const chain = masqueradeChainOf(def.bridge);
  const listed = await quickSpawn(f.tool, ["-w", "-t", "nat", "-S"], { timeoutMs: TIMEOUT_MS });
  const lines = listed.exitCode === 0 ? listed.stdout.split("\n").map((l) => l.trim()) : [];
  if (inPlace(def, f, lines)) return;
  const jump = `-A POSTROUTING -s ${f.subnet} -m comment --comment "berth network ${def.name}" -j ${chain}`;
  const input = ["*nat", `:${chain} - [0:0]`, ...rulesOf(def, f), ...(jumpedIn(chain, lines) ? [] : [jump]), "COMMIT", ""].join("\n");
  const r = await quickSpawn(`${f.tool}-restore`, ["-w", "--noflush"], { input, timeoutMs: TIMEOUT_MS });
  if (r.exitCode !== 0) throw new BerthError("internal", `cannot set up masquerading for network ${quote(def.name)} with ${f.tool}-restore: ${(r.spawnError?.message ?? r.stderr).trim()}`);
}

// removeMasquerade takes the network's chain and its jumps away, in both
// families; nothing there is no error.
export async function removeMasquerade(bridge: string): Promise<void> {
  const chain = masqueradeChainOf(bridge);
  for (const tool of ["iptables", "ip6tables"]) {
    const listed = await quickSpawn(tool, ["-w", "-t", "nat", "-S"], { timeoutMs: TIMEOUT_MS });
    if (listed.exitCode !== 0) continue;
    const lines = listed.stdout.split("\n").map((l) => l.trim());
    const jumps = lines.filter((l) => l.startsWith("-A POSTROUTING ") && l.endsWith(` -j ${chain}`)).map((l) => `-D${l.slice(2)}`);
    const exists = lines.includes(`-N ${chain}`);
    if (jumps.length === 0 && !exists) continue;
    // iptables-restore reads the listed rules back as they were printed,
    // quotes and all.
    const input = ["*nat", ...jumps, ...(exists ? [`-F ${chain}`, `-X ${chain}`] : []), "COMMIT", ""].join("\n");
    const r = await quickSpawn(`${tool}-restore`, ["-w", "--noflush"], { input, timeoutMs: TIMEOUT_MS });
    if (r.exitCode !== 0) throw new BerthError("internal", `cannot remove ${tool} chain ${chain}: ${(r.spawnError?.message ?? r.stderr).trim()}`);
  }
}
