// Published ports: checking a request's bindings, and choosing and
// claiming host ports. portmap only writes DNAT rules; it neither picks a
// port nor notices one in use, so berth does both, as Podman does before
// it calls the plugins: a port is free when berth has not published it
// already and a socket can bind it now.
import { createSocket } from "node:dgram";
import { createServer, isIP } from "node:net";

import { alreadyExists, invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

export type Protocol = "tcp" | "udp";

export interface PortSpec {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
}

export const PORTS_MAX_ENTRIES = 256;

export interface PortInput {
  hostIp?: string;
  hostPort?: number;
  containerPort?: number;
  protocol?: string;
}

// checkPortBindings validates a Create's ports field.
export function checkPortBindings(ports: readonly PortInput[]): PortSpec[] {
  if (ports.length > PORTS_MAX_ENTRIES) throw invalidArgument(`ports has ${ports.length} entries; at most ${PORTS_MAX_ENTRIES}`);
  const out = ports.map((p, i) => {
    const field = `ports[${i}]`;
    const protocol = p.protocol === undefined || p.protocol === "" ? "tcp" : p.protocol;
    if (protocol !== "tcp" && protocol !== "udp") throw invalidArgument(`${field}.protocol ${quote(protocol)} is not tcp or udp`);
    const containerPort = p.containerPort ?? 0;
    if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) throw invalidArgument(`${field}.container_port ${containerPort} is not a port: give 1 to 65535`);
    const hostPort = p.hostPort ?? 0;
    if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) throw invalidArgument(`${field}.host_port ${hostPort} is not a port: give 1 to 65535, or 0 to have one picked`);
    // The unspecified addresses mean every address, as an empty one does.
    const hostIp = p.hostIp === "0.0.0.0" || p.hostIp === "::" ? "" : (p.hostIp ?? "");
    if (hostIp !== "" && isIP(hostIp) === 0) throw invalidArgument(`${field}.host_ip ${quote(hostIp)} is not an IP address: give one of the host's addresses, or leave it empty for all`);
    const why = unusableHostIp(hostIp);
    if (why !== undefined) throw invalidArgument(`${field}.host_ip ${quote(hostIp)} ${why}`);
    return { hostIp, hostPort, containerPort, protocol } satisfies PortSpec;
  });
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < i; j++) {
      if (out[i]!.hostPort !== 0 && clash(out[i]!, out[j]!)) throw invalidArgument(`ports[${i}] and ports[${j}] both publish ${portName(out[i]!)}`);
    }
  }
  return out;
}

// unusableHostIp says why an address can never be a published port's:
// portmap DNATs unicast addresses, and 127.0.0.0/8 only for IPv4 (the
// kernel routes no IPv6 loopback traffic out of the host's namespace).
function unusableHostIp(ip: string): string | undefined {
  if (ip === "") return undefined;
  if (ip.includes(":")) {
    const head = ip.toLowerCase();
    if (head === "::1") return "is IPv6 loopback, which cannot be forwarded into a container: use 127.0.0.1";
    if (head.startsWith("ff")) return "is a multicast address: give one of the host's unicast addresses";
    return undefined;
  }
  const first = Number(ip.split(".")[0]);
  if (first >= 224) return "is a multicast or broadcast address: give one of the host's unicast addresses";
  return undefined;
}

// portName names a binding's host side: "127.0.0.1:8080/tcp".
export function portName(p: PortSpec): string {
  const ip = p.hostIp === "" ? "0.0.0.0" : p.hostIp.includes(":") ? `[${p.hostIp}]` : p.hostIp;
  return `${ip}:${p.hostPort}/${p.protocol}`;
}

// clash says whether two bindings want the same host port: the same port
// and protocol, on the same address or with either on every address.
export function clash(a: PortSpec, b: PortSpec): boolean {
  return a.hostPort === b.hostPort && a.protocol === b.protocol && (a.hostIp === b.hostIp || a.hostIp === "" || b.hostIp === "");
}

// claimPorts gives each binding a host port: the one asked for if nothing
// holds it (berth's own published ports, by published(), or a process's
// socket), or for 0 a free one the kernel picks. A port taken is
// ALREADY_EXISTS naming it.
export async function claimPorts(specs: readonly PortSpec[], published: (p: PortSpec) => string | undefined): Promise<PortSpec[]> {
  const out: PortSpec[] = [];
  const taken = (p: PortSpec) => published(p) ?? (out.some((q) => clash(p, q)) ? "this container" : undefined);
  for (const spec of specs) {
    if (spec.hostPort !== 0) {
      const owner = taken(spec);
      if (owner !== undefined) throw alreadyExists(`host port ${portName(spec)} is already published by ${owner}: pick another host port, or 0 for a free one`);
      await probePort(spec);
      out.push(spec);
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      const picked = { ...spec, hostPort: await probePort(spec) };
      if (taken(picked) === undefined) {
        out.push(picked);
        break;
      }
      if (attempt === 20) throw alreadyExists(`no free host port for ${spec.containerPort}/${spec.protocol} on ${spec.hostIp || "0.0.0.0"} after 20 tries`);
    }
  }
  return out;
}

// probePort binds the port (0: any) on the binding's address and returns
// the port bound, then lets it go.
function probePort(spec: PortSpec): Promise<number> {
  const host = spec.hostIp === "" ? "0.0.0.0" : spec.hostIp;
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") reject(alreadyExists(`host port ${portName(spec)} is in use by another process on the host: pick another host port, or 0 for a free one`));
      else if (err.code === "EADDRNOTAVAIL") reject(invalidArgument(`host_ip ${quote(spec.hostIp)} is not an address of this host`));
      // A link-local address without its zone, a multicast or broadcast one.
      else if (err.code === "EINVAL") reject(invalidArgument(`host_ip ${quote(spec.hostIp)} cannot be listened on: give one of the host's unicast addresses, or leave it empty for all`));
      else if (err.code === "EACCES") reject(invalidArgument(`host port ${portName(spec)} cannot be bound: ${err.message}`));
      else reject(err);
    };
    if (spec.protocol === "udp") {
      const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
      socket.once("error", (err) => {
        socket.close();
        fail(err);
      });
      socket.bind(spec.hostPort, host, () => {
        const port = socket.address().port;
        socket.close(() => resolve(port));
      });
      return;
    }
    const server = createServer();
    server.once("error", fail);
    server.listen({ port: spec.hostPort, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
