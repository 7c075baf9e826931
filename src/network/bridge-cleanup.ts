// removeBridge takes away what a network leaves on the host once its last
// container is gone: the bridge device (the bridge plugin never removes
// it) and the two isolation rules the firewall plugin adds per bridge
// (ingressPolicy same-bridge; they stay after DEL, as upstream leaves
// them), and the network's masquerading chain (network-masquerade.ts).
// The CNI-* chains themselves are shared by every network and stay, as
// portmap's do.
import { access } from "node:fs/promises";

import { BerthError } from "../errors/berth-error.js";
import { loadExeca } from "../runtime/lazy-execa.js";
import { removeMasquerade } from "./network-masquerade.js";

const COMMENT = "CNI firewall plugin rules (ingressPolicy: same-bridge)";

export async function removeBridge(bridge: string): Promise<void> {
  const execa = await loadExeca();
  for (const tool of ["iptables", "ip6tables"]) {
    for (const rule of [
      ["CNI-ISOLATION-STAGE-1", "-i", bridge, "!", "-o", bridge, "-m", "comment", "--comment", COMMENT, "-j", "CNI-ISOLATION-STAGE-2"],
      ["CNI-ISOLATION-STAGE-2", "-o", bridge, "-m", "comment", "--comment", COMMENT, "-j", "DROP"],
    ]) {
      // -C first: a rule never added (no container ever joined, or no IPv6)
      // is not an error, and -D of it would print one.
      const present = await execa(tool, ["-w", "-t", "filter", "-C", ...rule], { reject: false });
      if (present.exitCode !== 0) continue;
      const r = await execa(tool, ["-w", "-t", "filter", "-D", ...rule], { reject: false });
      if (r.exitCode !== 0) throw new BerthError("internal", `cannot remove ${tool} rule ${rule.join(" ")}: ${String(r.stderr).trim()}`);
    }
  }
  await removeMasquerade(bridge);
  if (await access(`/sys/class/net/${bridge}`).then(() => true, () => false)) {
    const r = await execa("ip", ["link", "delete", bridge, "type", "bridge"], { reject: false });
    if (r.exitCode !== 0) throw new BerthError("internal", `cannot delete bridge ${bridge}: ${String(r.stderr).trim()}`);
  }
}
