// addToBridge runs a container's CNI ADD on a bridge network, with what is
// the network's rather than the container's looked up beside the bridge
// plugin, in one listing of the host's rules (host-rules.ts), off the
// ADD's critical path: the firewall's isolation rules (isolation-rules.ts)
// and the network's masquerading (network-masquerade.ts), both per bridge
// and almost always in place.
import type { CniRuntime, RuntimeConf } from "./cni-runtime.js";
import { listHostRules } from "./host-rules.js";
import { isolationInPlace, withoutIsolation } from "./isolation-rules.js";
import { conflistOf, type NetworkDef } from "./network-def.js";
import type { Masquerading } from "./network-masquerade.js";

export async function addToBridge(cni: CniRuntime, def: NetworkDef, o: { ipamDir: string; rt: RuntimeConf; ports: boolean; masquerading: Masquerading }): Promise<Record<string, unknown>> {
  const v6 = def.ipv6Subnet !== undefined;
  const listed = listHostRules(v6 ? ["iptables", "ip6tables"] : ["iptables"]);
  const isolated = listed.then((rules) => isolationInPlace(rules, def.bridge, v6));
  const masqueraded = o.masquerading.ensure(def, listed);
  masqueraded.catch(() => {});
  const list = conflistOf(def, o.ipamDir, { ports: o.ports });
  const result = await cni.addList(list, o.rt, async (p) => (p["type"] === "firewall" && (await isolated) ? withoutIsolation(p) : p));
  // A failure here fails the connect, which then undoes the ADD.
  await masqueraded;
  return result;
}
