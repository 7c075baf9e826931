// The form of a Create's network fields, checked before the container's
// id is even looked up (an invalid field is INVALID_ARGUMENT whatever the
// container's state), and again, against the daemon's networks, by
// NetworkManager.plan.
import { isIP } from "node:net";

import { invalidArgument, type BerthError } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkNetworkName } from "./network-def.js";
import { checkPortBindings, type PortInput } from "./port-bindings.js";

export const DNS_MAX_ENTRIES = 8;

export interface NetworkRequestFields {
  network?: string;
  ports?: readonly PortInput[];
  dnsServers?: readonly string[];
}

// checkNetworkFields checks the form of a Create's network fields, before
// the container's id is even looked up: a network name or mode, port
// bindings, DNS servers, and no ports with none or host.
export function checkNetworkFields(req: NetworkRequestFields): void {
  const name = req.network ?? "";
  if (name !== "" && name !== "none" && name !== "host") checkNetworkName(name, "network");
  const ports = checkPortBindings(req.ports ?? []);
  if (ports.length > 0 && (name === "none" || name === "host")) throw portsWithout(name);
  checkDns(req.dnsServers ?? []);
}

export function portsWithout(mode: "none" | "host"): BerthError {
  return invalidArgument(`ports cannot be published with network ${mode}: ${mode === "host" ? "the container uses the host's ports directly" : "the container has no interface but loopback"}; use a bridge network`);
}

export function checkDns(dns: readonly string[]): void {
  if (dns.length > DNS_MAX_ENTRIES) throw invalidArgument(`dns_servers has ${dns.length} entries; at most ${DNS_MAX_ENTRIES}`);
  dns.forEach((s, i) => {
    if (isIP(s) === 0) throw invalidArgument(`dns_servers[${i}] ${quote(s)} is not an IP address`);
  });
}

