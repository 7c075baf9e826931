// A container's /etc/hosts, /etc/resolv.conf and /etc/hostname, written in
// its folder and bind-mounted over the image's, as Podman does. The hosts
// file is rewritten whenever a container joins or leaves its network, in
// place (truncate and write, not rename): a bind mount holds the file's
// inode, and a renamed file would never be seen inside.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import type { OciMount } from "../spec/oci-spec.js";

export interface HostsEntry {
  address: string;
  names: string[];
}

export interface EtcPaths {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

export function etcPathsOf(dir: string): EtcPaths {
  return { hosts: join(dir, "hosts"), resolvConf: join(dir, "resolv.conf"), hostname: join(dir, "hostname") };
}

// writeEtcFiles makes a new container's folder of them: hosts (the host's
// for host mode, else localhost until it has an address), resolv.conf and
// hostname.
export async function writeEtcFiles(dir: string, o: { host: boolean; dns: readonly string[]; hostname: string }): Promise<EtcPaths> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const etc = etcPathsOf(dir);
  await Promise.all([o.host ? writeHostHosts(etc.hosts) : writeHosts(etc.hosts, undefined, []), writeResolvConf(etc.resolvConf, o.dns), writeHostname(etc.hostname, o.hostname)]);
  return etc;
}

const LOCALHOST = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];

// writeHosts writes the hosts file: localhost, the container's own names
// on its address, then its peers'.
export async function writeHosts(path: string, own: HostsEntry | undefined, peers: readonly HostsEntry[]): Promise<void> {
  const lines = [...LOCALHOST];
  for (const e of own === undefined ? [] : [own]) lines.push(`${e.address}\t${e.names.join(" ")}`);
  for (const e of peers) lines.push(`${e.address}\t${e.names.join(" ")}`);
  await writeFile(path, `${lines.join("\n")}\n`, { mode: 0o644 });
}

// writeHostHosts gives a host-mode container the host's hosts file.
export async function writeHostHosts(path: string): Promise<void> {
  await writeFile(path, await readFile("/etc/hosts", "utf8").catch(() => `${LOCALHOST.join("\n")}\n`), { mode: 0o644 });
}

// writeResolvConf writes the host's resolv.conf, or its search and options
// with the servers given instead of its nameservers.
export async function writeResolvConf(path: string, servers: readonly string[]): Promise<void> {
  const host = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  const text = servers.length === 0 ? host : [...servers.map((s) => `nameserver ${s}`), ...host.split("\n").filter((l) => /^\s*(search|domain|options)\b/.test(l))].join("\n") + "\n";
  await writeFile(path, text, { mode: 0o644 });
}

export async function writeHostname(path: string, hostname: string): Promise<void> {
  await writeFile(path, `${hostname}\n`, { mode: 0o644 });
}

// etcMounts bind the files over the container's own.
export function etcMounts(paths: EtcPaths): OciMount[] {
  return [
    { destination: "/etc/hosts", type: "bind", source: paths.hosts, options: ["rbind", "rw"] },
    { destination: "/etc/resolv.conf", type: "bind", source: paths.resolvConf, options: ["rbind", "rw"] },
    { destination: "/etc/hostname", type: "bind", source: paths.hostname, options: ["rbind", "rw"] },
  ];
}
