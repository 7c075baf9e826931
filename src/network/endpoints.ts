// Endpoints are the containers attached to each network right now, for
// InspectNetwork, the hosts files (each container's lists its peers by
// name) and the published ports no two containers may share.
import { addressOf } from "./cni-result.js";
import { etcPathsOf, writeHosts, type HostsEntry } from "./etc-files.js";
import type { NetworkState } from "./network-state.js";
import { clash, type PortSpec } from "./port-bindings.js";

export class Endpoints {
  // byKey holds the attached states by namespace/id.
  private readonly byKey = new Map<string, NetworkState>();

  static keyOf(s: { namespace: string; containerId: string }): string {
    return `${s.namespace}/${s.containerId}`;
  }

  add(state: NetworkState): void {
    this.byKey.set(Endpoints.keyOf(state), state);
  }

  delete(state: NetworkState): void {
    this.byKey.delete(Endpoints.keyOf(state));
  }

  on(network: string): NetworkState[] {
    return [...this.byKey.values()].filter((s) => s.network === network).sort((a, b) => Endpoints.keyOf(a).localeCompare(Endpoints.keyOf(b)));
  }

  has(cniId: string): boolean {
    for (const s of this.byKey.values()) if (s.cniId === cniId) return true;
    return false;
  }

  // publisher names the container that publishes a clashing port.
  publisher(p: PortSpec): string | undefined {
    for (const s of this.byKey.values()) {
      if ((s.attached?.ports ?? []).some((q) => clash(p, q))) return `container ${Endpoints.keyOf(s)}`;
    }
    return undefined;
  }

  // rewriteHosts rewrites the hosts file of every container on network.
  async rewriteHosts(network: string): Promise<void> {
    const members = this.on(network).filter((s) => s.etcDir !== undefined && s.attached?.attachment !== undefined);
    const entry = (s: NetworkState): HostsEntry => ({ address: addressOf(s.attached!.attachment!.ipv4Address), names: namesOf(s) });
    // A member being deleted may have lost its folder already: its file
    // needs no update.
    await Promise.all(
      members.map((s) =>
        writeHosts(etcPathsOf(s.etcDir!).hosts, entry(s), members.filter((m) => m !== s).map(entry)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") throw err;
        }),
      ),
    );
  }
}

// namesOf are the names a container answers to on its network: its id and
// its host name.
export function namesOf(s: NetworkState): string[] {
  return [...new Set([s.hostname, s.containerId])];
}
