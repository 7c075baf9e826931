// sweepUnheld releases, at start-up, the network resources no container
// of this daemon holds: a cached ADD whose container is gone (its folder
// removed while a DEL failed, say), and a host-local reservation without
// even a cache entry (a daemon killed between IPAM and the cache write).
// Each gets a full DEL, which removes the address, the veth and the port
// rules by container id.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { isMountPoint } from "../rootfs/overlay.js";
import { conflistOf } from "./network-def.js";
import type { NetworkManager } from "./network-manager.js";

export async function sweepUnheld(m: NetworkManager, report: (err: unknown) => void): Promise<void> {
  const released = new Set<string>();
  for (const entry of await m.cni.cache.all()) {
    if (entry.networkName === "berth-loopback" || m.endpoints.has(entry.containerId)) continue;
    const sandbox = sandboxOf(entry.result);
    const netns = sandbox !== "" && (await isMountPoint(sandbox)) ? sandbox : "";
    await m.cni.delList(conflistOf(m.definitionFor(entry.networkName), m.ipamDir), { containerId: entry.containerId, netns, ifName: entry.ifName }).then(
      () => released.add(`${entry.networkName}/${entry.containerId}`),
      report,
    );
  }
  for (const network of await readdir(m.ipamDir).catch(() => [] as string[])) {
    const dir = join(m.ipamDir, network);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      // Reservations are files named by address; lock and last_reserved_ip.* are not.
      if (name === "lock" || name.startsWith("last_reserved_ip")) continue;
      const owner = (await readFile(join(dir, name), "utf8").catch(() => "")).split(/\r?\n/)[0] ?? "";
      if (owner === "" || m.endpoints.has(owner) || released.has(`${network}/${owner}`)) continue;
      released.add(`${network}/${owner}`);
      await m.cni.delList(conflistOf(m.definitionFor(network), m.ipamDir), { containerId: owner, netns: "", ifName: "eth0" }).catch(report);
    }
  }
}

function sandboxOf(result: Record<string, unknown>): string {
  const interfaces = Array.isArray(result["interfaces"]) ? (result["interfaces"] as Array<{ sandbox?: string }>) : [];
  return interfaces.find((i) => i.sandbox !== undefined && i.sandbox !== "")?.sandbox ?? "";
}
