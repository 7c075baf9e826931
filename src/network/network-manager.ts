// NetworkManager is berth's CNI side, one per daemon: it turns a Create's
// network request into a plan, gives a container its persistent network
// namespace and its files, runs CNI ADD before each run and DEL after it,
// and releases everything on Delete, on a failed Create and at restore.
// The order is containerd's (sandbox_run.go): namespace, CNI ADD, then the
// task; each undone in reverse on failure.
import { access, constants, rm } from "node:fs/promises";
import { join } from "node:path";

import { invalidArgument, unavailable } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { failpoint } from "../faults/failpoint.js";
import { EventType } from "../gen/berth/v1/types_pb.js";
import type { OciMount } from "../spec/oci-spec.js";
import { addToBridge } from "./bridge-add.js";
import { attachmentOf } from "./cni-result.js";
import { CniRuntime, type RuntimeConf } from "./cni-runtime.js";
import { Endpoints } from "./endpoints.js";
import { Masquerading } from "./network-masquerade.js";
import { etcMounts, writeEtcFiles } from "./etc-files.js";
import { conflistOf, LOOPBACK_LIST, networkDef, type NetworkDef } from "./network-def.js";
import { readNetworkState, saveNetworkState, STATE_FILE, type NetworkMode, type NetworkState } from "./network-state.js";
import { NetworkStore } from "./network-store.js";
import { bindNetns, createNetns, removeNetns } from "./netns.js";
import { checkPortBindings, claimPorts, type PortSpec } from "./port-bindings.js";
import { checkDns, portsWithout, type NetworkRequestFields } from "./network-request.js";
import { sweepUnheld } from "./sweep.js";

export const DEFAULT_PLUGIN_DIRS = ["/usr/lib/cni", "/opt/cni/bin"];
export const DEFAULT_NETWORK = { name: "berth", bridge: "berth0", subnet: "10.87.0.0/16" };
const REQUIRED_PLUGINS = ["bridge", "host-local", "portmap", "firewall"];
const IF_NAME = "eth0";

export interface NetworkSettings {
  // defaultNetwork is what a container that names none joins: a network's
  // name (the default network's own, by default) or "none".
  defaultNetwork?: string;
  // bridge is the default network: its name, bridge device and subnet.
  bridge?: { name?: string; bridge?: string; subnet?: string; gateway?: string; ipv6Subnet?: string };
  pluginDirs?: string[];
}

export type NetworkPublisher = (namespace: string, containerId: string, type: EventType, network: string, address: string) => void;

export interface SpecNetwork {
  // netnsPath is the namespace runc joins; undefined: runc makes one
  // (none), or with host, none at all.
  netnsPath?: string;
  host: boolean;
  mounts: OciMount[];
}

export class NetworkManager {
  readonly store: NetworkStore;
  readonly cni: CniRuntime;
  readonly endpoints = new Endpoints();
  readonly warnings: string[] = [];
  private pluginsReady = false;
  private claiming: Promise<unknown> = Promise.resolve();
  private readonly masquerading = new Masquerading();

  constructor(
    readonly stateDir: string,
    private readonly settings: NetworkSettings,
    readonly publish: NetworkPublisher,
  ) {
    const b = settings.bridge ?? {};
    // Checked as a CreateNetwork would be: a bad setting fails the start.
    const def = networkDef({ ...DEFAULT_NETWORK, ...b }, new Date(0));
    this.store = new NetworkStore(join(stateDir, "networks"), def);
    this.cni = new CniRuntime(settings.pluginDirs ?? DEFAULT_PLUGIN_DIRS, join(stateDir, "cni", "results"));
  }

  get ipamDir(): string {
    return join(this.stateDir, "cni", "ipam");
  }

  // defaultMode is what a container naming no network gets.
  get defaultNetwork(): string {
    const wanted = this.settings.defaultNetwork ?? this.store.defaultDef.name;
    return wanted !== "none" && wanted !== "host" && !this.pluginsReady ? "none" : wanted;
  }

  async init(): Promise<void> {
    await this.store.load();
    const dirs = this.cni.pluginDirs;
    const missing: string[] = [];
    for (const p of REQUIRED_PLUGINS) {
      const found = await Promise.all(dirs.map((d) => access(join(d, p), constants.X_OK).then(() => true, () => false)));
      if (!found.includes(true)) missing.push(p);
    }
    this.pluginsReady = missing.length === 0;
    if (!this.pluginsReady) {
      this.warnings.push(`CNI plugins ${missing.join(", ")} not found in ${dirs.join(":")} (apt-get install containernetworking-plugins iptables): containers get network none, and bridge networks cannot be joined`);
    }
  }

  // plan checks a Create's network fields against the daemon's networks
  // (checkNetworkFields has checked their form) before anything is made.
  // ownUserns: the container has a user namespace of its own (see
  // NetworkState.postConfigure).
  plan(req: NetworkRequestFields, hostname: string, key: { namespace: string; containerId: string }, ownUserns = false): NetworkState {
    const name = req.network === undefined || req.network === "" ? this.defaultNetwork : req.network;
    const mode: NetworkMode = name === "none" || name === "host" ? name : "bridge";
    const ports = checkPortBindings(req.ports ?? []);
    // A default that fell back to none says why rather than blaming none.
    const fellBack = (req.network === undefined || req.network === "") && name === "none" && this.settings.defaultNetwork !== "none";
    if (ports.length > 0 && fellBack) throw unavailable(`ports cannot be published: ${this.warnings.join("; ")}`);
    if (ports.length > 0 && mode !== "bridge") throw portsWithout(mode);
    const dns = [...(req.dnsServers ?? [])];
    checkDns(dns);
    const state: NetworkState = { ...key, mode, hostname, ports, dns };
    if (mode === "bridge") {
      const def = this.store.get(name);
      state.network = def.name;
      const v6 = ports.findIndex((p) => p.hostIp.includes(":"));
      if (v6 >= 0 && def.ipv6Subnet === undefined) {
        throw invalidArgument(`ports[${v6}].host_ip ${quote(ports[v6]!.hostIp)} is IPv6, and network ${quote(def.name)} has no IPv6 subnet: the container has no IPv6 address to forward to`);
      }
      if (!this.pluginsReady) throw unavailable(`network ${quote(name)} cannot be joined: ${this.warnings.join("; ")}`);
      state.cniId = `${key.namespace.length}.${key.namespace}.${key.containerId}`;
      if (ownUserns) state.postConfigure = true;
    }
    return state;
  }

  // prepare makes the container's namespace and files in its folder, and
  // says how the spec joins them. Nothing for none with no dns servers:
  // that container is as it always was, loopback only in a namespace of
  // runc's making.
  async prepare(dir: string, state: NetworkState): Promise<SpecNetwork> {
    if (state.mode === "none" && state.dns.length === 0) return { host: false, mounts: [] };
    state.etcDir = join(dir, "etc");
    if (state.mode === "bridge") state.netns = join(dir, "netns");
    await saveNetworkState(dir, state);
    // The files and the namespace side by side; both settled before
    // either's failure is thrown, so an undo never races a mount.
    const [files, netns] = await Promise.allSettled([
      writeEtcFiles(state.etcDir, { host: state.mode === "host", dns: state.dns, hostname: state.hostname }),
      state.netns !== undefined && state.postConfigure !== true ? createNetns(state.netns) : undefined,
    ]);
    if (files.status === "rejected") throw files.reason;
    if (netns.status === "rejected") throw netns.reason;
    failpoint("network:after-netns");
    return { netnsPath: state.postConfigure === true ? undefined : state.netns, host: state.mode === "host", mounts: etcMounts(files.value) };
  }

  // bindRun binds the namespace the runtime made for a post-configured
  // container's new run (its init is pid) at the container's netns path,
  // in place of the last run's, before connect. An address still held is
  // given back first, in the namespace it was added to.
  async bindRun(dir: string, state: NetworkState, pid: number): Promise<void> {
    if (state.postConfigure !== true || state.netns === undefined) return;
    failpoint("network:before-bind");
    if (state.attached !== undefined) await this.disconnect(dir, state);
    await removeNetns(state.netns);
    await bindNetns(pid, state.netns);
    failpoint("network:after-bind");
  }

  // connect gives a bridge container its address and ports for a run (CNI
  // ADD), unless it holds them already.
  async connect(dir: string, state: NetworkState): Promise<void> {
    if (state.mode !== "bridge" || state.attached?.phase === "added") return;
    const def = this.store.get(state.network!);
    // An ADD a crash cut short is undone before a new one.
    if (state.attached !== undefined) await this.disconnect(dir, state);
    const ports = await this.claim(state);
    await saveNetworkState(dir, state);
    try {
      const result = await addToBridge(this.cni, def, { ipamDir: this.ipamDir, rt: this.runtimeConf(state), ports: ports.length > 0, masquerading: this.masquerading });
      failpoint("network:after-add");
      state.attached = { phase: "added", attachment: attachmentOf(def.name, IF_NAME, result), ports };
      await saveNetworkState(dir, state);
    } catch (err) {
      await this.disconnect(dir, state).catch(() => {});
      throw err;
    }
    await this.endpoints.rewriteHosts(def.name);
    this.publish(state.namespace, state.containerId, EventType.NETWORK_CONNECT, def.name, state.attached.attachment?.ipv4Address ?? "");
  }

  // disconnect gives the run's address and ports back (CNI DEL).
  async disconnect(dir: string, state: NetworkState): Promise<void> {
    if (state.mode !== "bridge" || state.attached === undefined) return;
    const address = state.attached.attachment?.ipv4Address ?? "";
    const announced = state.attached.phase === "added";
    const netns = state.netns !== undefined && (await access(state.netns).then(() => true, () => false)) ? state.netns : "";
    const def = this.definitionFor(state.network!);
    await this.cni.delList(conflistOf(def, this.ipamDir), { ...this.runtimeConf(state), netns });
    // Loopback is up from the namespace's making (createNetns); a container
    // of a daemon from before that ran the loopback plugin, whose ADD is
    // cached, gets its DEL.
    if ((await this.cni.cache.load(LOOPBACK_LIST.name, state.cniId!, "lo")) !== undefined) {
      await this.cni.delList(LOOPBACK_LIST, { ...this.runtimeConf(state), netns, ifName: "lo" }).catch(() => {});
    }
    this.endpoints.delete(state);
    state.attached = undefined;
    await saveNetworkState(dir, state);
    await this.endpoints.rewriteHosts(def.name);
    if (announced) this.publish(state.namespace, state.containerId, EventType.NETWORK_DISCONNECT, def.name, address);
  }

  // release undoes everything of a container's network from what its
  // folder says: DEL if a run held an address, then the namespace.
  async release(dir: string): Promise<void> {
    const state = await readNetworkState(dir);
    if (state !== undefined) {
      try {
        await this.disconnect(dir, state);
      } finally {
        // A DEL that failed is retried by the sweep at the next start
        // (its cache entry stays); the namespace goes now regardless.
        if (state.netns !== undefined) await removeNetns(state.netns);
      }
    }
    await rm(join(dir, STATE_FILE), { force: true });
  }

  // adopt takes back, at restore, a container whose run still holds its
  // address.
  adopt(state: NetworkState): void {
    if (state.attached?.phase === "added") this.endpoints.add(state);
  }

  // sweep releases what no container holds: cached ADDs and IPAM
  // reservations of containers this daemon no longer knows.
  sweep(report: (err: unknown) => void): Promise<void> {
    return sweepUnheld(this, report);
  }

  // definitionFor is the network's definition, or for a network removed
  // meanwhile a stand-in with its name (DEL then runs on the cached config).
  definitionFor(name: string): NetworkDef {
    try {
      return this.store.get(name);
    } catch {
      return { ...this.store.defaultDef, name };
    }
  }

  runtimeConf(state: NetworkState): RuntimeConf {
    return {
      containerId: state.cniId!,
      netns: state.netns ?? "",
      ifName: IF_NAME,
      capabilityArgs: { portMappings: (state.attached?.ports ?? []).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIp !== "" && { hostIP: p.hostIp }) })) },
    };
  }

  // claim picks the run's host ports and registers them at once, one
  // container at a time, so two Creates never get one port.
  private claim(state: NetworkState): Promise<PortSpec[]> {
    const run = this.claiming.then(async () => {
      const ports = await claimPorts(state.ports, (p) => this.endpoints.publisher(p));
      state.attached = { phase: "adding", ports };
      this.endpoints.add(state);
      return ports;
    });
    this.claiming = run.catch(() => {});
    return run;
  }
}
