// Networks as resources (NetworkService): create, list, inspect, remove.
// Networks belong to the daemon; their events go out in the namespace of
// the caller who made or removed them. A forced remove disconnects each
// attached container in its own queue first, as any change to a
// container is made.
import { rm } from "node:fs/promises";
import { join } from "node:path";

import { failedPrecondition, invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import type { CreateNetworkOptions, NetworkInspectResult } from "../api/client-options.js";
import type { Network } from "../gen/berth/v1/networks_pb.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import { removeBridge } from "../network/bridge-cleanup.js";
import { endpointMessage, networkMessage } from "../network/network-messages.js";
import { disconnectRun } from "./container-network.js";
import type { Engine } from "./engine.js";

export async function createNetwork(engine: Engine, namespace: string, req: CreateNetworkOptions): Promise<Network> {
  const m = engine.networks;
  const def = await m.store.create({ name: req.name ?? "", subnet: req.subnet ?? "", gateway: req.gateway, ipv6Subnet: req.ipv6Subnet, internal: req.internal, bridge: req.bridge });
  m.publish(namespace, "", EventType.NETWORK_CREATE, def.name, "");
  return networkMessage(def, false);
}

export function listNetworks(engine: Engine): Network[] {
  const store = engine.networks.store;
  return store.all().map((def) => networkMessage(def, store.isDefault(def.name)));
}

export function inspectNetwork(engine: Engine, name: string): NetworkInspectResult {
  const m = engine.networks;
  const def = m.store.get(name);
  const endpoints = m.endpoints.on(def.name).filter((s) => s.attached?.phase === "added");
  return { network: networkMessage(def, m.store.isDefault(def.name)), endpoints: endpoints.map(endpointMessage) };
}

// removeNetwork removes a network with no container attached (or, with
// force, after disconnecting them), then its bridge, its firewall rules
// and its IPAM folder.
export async function removeNetwork(engine: Engine, namespace: string, name: string, force: boolean): Promise<void> {
  const m = engine.networks;
  const def = m.store.get(name);
  if (m.store.isDefault(def.name)) throw invalidArgument(`network ${quote(name)} is the daemon's default network and cannot be removed`);
  const attached = m.endpoints.on(def.name);
  if (attached.length > 0 && !force) {
    const names = attached.slice(0, 5).map((s) => `${s.namespace}/${s.containerId}`);
    throw failedPrecondition(`network ${quote(name)} has ${attached.length} container(s) attached (${names.join(", ")}${attached.length > 5 ? ", ..." : ""}): stop or delete them first, or remove with force`);
  }
  for (const s of attached) {
    const c = await engine.get(s.namespace, s.containerId).catch(() => undefined);
    if (c !== undefined) await c.queue.run(() => disconnectRun(c));
  }
  await m.store.remove(name);
  await removeBridge(def.bridge);
  await rm(join(m.ipamDir, def.name), { recursive: true, force: true });
  m.publish(namespace, "", EventType.NETWORK_REMOVE, def.name, "");
}
