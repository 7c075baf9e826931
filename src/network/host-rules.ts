// hostRules lists the host's iptables rules once for a connect's checks
// (the firewall's isolation, the network's masquerading): one
// `iptables-save` prints every table, at the cost of one `iptables -S`
// of one (measured 4-15 ms each here), so the two checks share a process.
// Lines are as `iptables -S` prints them ("-A CHAIN ..."), by table.
import { quickSpawn } from "../runtime/quick-spawn.js";

export type RuleTables = Map<string, string[]>;

export type IpTool = "iptables" | "ip6tables";

// HostRules is one listing per family, undefined where it failed.
export type HostRules = Partial<Record<IpTool, RuleTables>>;

export async function listHostRules(tools: readonly IpTool[]): Promise<HostRules> {
  const out: HostRules = {};
  await Promise.all(
    tools.map(async (tool) => {
      const r = await quickSpawn(`${tool}-save`, [], { timeoutMs: 30_000 });
      if (r.exitCode === 0) out[tool] = parseSave(r.stdout);
    }),
  );
  return out;
}

// parseSave reads iptables-save's output: "*table" opens a table, "-A"
// lines are its rules.
export function parseSave(text: string): RuleTables {
  const tables: RuleTables = new Map();
  let current: string[] | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) tables.set(line.slice(1), (current = []));
    else if (line.startsWith("-A ") && current !== undefined) current.push(line);
  }
  return tables;
}
