// NetworkDef is one bridge network as berth keeps it, and the CNI
// configuration list it stands for: bridge (with host-local IPAM), portmap
// for published ports, firewall with ingressPolicy same-bridge so that
// networks cannot reach each other, as Podman's CNI networks are made.
import { createHash } from "node:crypto";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { containsHost, firstHost, formatSubnet, parseSubnet, type Subnet } from "./cidr.js";
import { CNI_VERSION, type NetworkConfigList } from "./cni-runtime.js";

export interface NetworkDef {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipv6Subnet?: string;
  ipv6Gateway?: string;
  internal: boolean;
  createdAt: string;
}

export interface NetworkRequest {
  name: string;
  subnet: string;
  gateway?: string;
  ipv6Subnet?: string;
  internal?: boolean;
  bridge?: string;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
// IFNAMSIZ is 16 with the terminating NUL.
const BRIDGE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
// The network modes a container may name instead of a network.
export const RESERVED_NAMES = ["none", "host", "default"];

export function checkNetworkName(name: string, field = "name"): string {
  if (!NAME.test(name) || name.includes("..")) {
    throw invalidArgument(`network ${field} ${quote(name)} is not valid: use letters, digits, '_', '.' and '-', at most 64 characters, starting with a letter or digit`);
  }
  return name;
}

// networkDef checks a request and fills in what it leaves out.
export function networkDef(req: NetworkRequest, now = new Date()): NetworkDef {
  checkNetworkName(req.name);
  if (RESERVED_NAMES.includes(req.name)) throw invalidArgument(`network name ${quote(req.name)} is reserved (it is a network mode): pick another name`);
  if (req.subnet === "") throw invalidArgument(`subnet is required: give an IPv4 subnet in CIDR form, such as 10.89.1.0/24`);
  const subnet = parseSubnet("subnet", req.subnet, 4, 8, 30);
  const gateway = req.gateway === undefined || req.gateway === "" ? firstHost(subnet) : req.gateway;
  if (!containsHost(subnet, gateway)) throw invalidArgument(`gateway ${quote(gateway)} is not a host address of subnet ${formatSubnet(subnet)}`);
  const bridge = req.bridge === undefined || req.bridge === "" ? bridgeNameOf(req.name) : req.bridge;
  if (!BRIDGE.test(bridge)) throw invalidArgument(`bridge ${quote(bridge)} is not a usable device name: letters, digits, '_', '.' and '-', at most 15 characters`);
  const def: NetworkDef = { name: req.name, bridge, subnet: formatSubnet(subnet), gateway, internal: req.internal === true, createdAt: now.toISOString() };
  if (req.ipv6Subnet !== undefined && req.ipv6Subnet !== "") {
    const v6 = parseSubnet("ipv6_subnet", req.ipv6Subnet, 6, 64, 120);
    def.ipv6Subnet = formatSubnet(v6);
    def.ipv6Gateway = firstHost(v6);
  }
  return def;
}

// subnetsOf lists a network's subnets, for the overlap checks.
export function subnetsOf(def: NetworkDef): Subnet[] {
  const out = [parseSubnet("subnet", def.subnet, 4, 0, 32)];
  if (def.ipv6Subnet !== undefined) out.push(parseSubnet("ipv6_subnet", def.ipv6Subnet, 6, 0, 128));
  return out;
}

// bridgeNameOf derives a bridge device name from a network name: short
// names keep themselves, others a stable hash.
export function bridgeNameOf(name: string): string {
  return `br-${createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
}

// conflistOf is the network's CNI configuration list. dataDir keeps the
// host-local reservations under the daemon's state directory, so two
// daemons never share them. A container that publishes no port gets no
// portmap (its ADD and DEL do nothing without mappings: one process fewer
// each way).
export function conflistOf(def: NetworkDef, ipamDir: string, o: { ports: boolean } = { ports: true }): NetworkConfigList {
  const ranges: Array<Array<{ subnet: string; gateway: string }>> = [[{ subnet: def.subnet, gateway: def.gateway }]];
  if (def.ipv6Subnet !== undefined && def.ipv6Gateway !== undefined) ranges.push([{ subnet: def.ipv6Subnet, gateway: def.ipv6Gateway }]);
  const routes = def.internal ? [] : [{ dst: "0.0.0.0/0" }, ...(def.ipv6Subnet !== undefined ? [{ dst: "::/0" }] : [])];
  return {
    cniVersion: CNI_VERSION,
    name: def.name,
    plugins: [
      {
        type: "bridge",
        bridge: def.bridge,
        isGateway: true,
        // The network's own chain masquerades (network-masquerade.ts).
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: "host-local", ranges, routes, dataDir: ipamDir },
      },
      ...(o.ports ? [{ type: "portmap", capabilities: { portMappings: true }, snat: true }] : []),
      { type: "firewall", backend: "iptables", ingressPolicy: "same-bridge" },
    ],
  };
}

// LOOPBACK_LIST is the loopback plugin's list, which brought lo up in the
// namespaces of daemons before createNetns did it itself: their cached
// ADDs still get its DEL.
export const LOOPBACK_LIST: NetworkConfigList = { cniVersion: CNI_VERSION, name: "berth-loopback", plugins: [{ type: "loopback" }] };
