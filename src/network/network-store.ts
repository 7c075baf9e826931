// NetworkStore keeps the daemon's networks, one JSON file each under
// <state>/networks, plus the default network, which the daemon's settings
// define and which cannot be removed.
import { access, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { formatSubnet, overlaps, type Subnet } from "./cidr.js";
import { checkNetworkName, networkDef, subnetsOf, type NetworkDef, type NetworkRequest } from "./network-def.js";
import { hostRoutes } from "./host-routes.js";
import { writeFileAtomic } from "./write-file-atomic.js";

export class NetworkStore {
  private readonly defs = new Map<string, NetworkDef>();

  constructor(
    private readonly dir: string,
    readonly defaultDef: NetworkDef,
  ) {}

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith(".json")) continue;
      const def = JSON.parse(await readFile(join(this.dir, name), "utf8")) as NetworkDef;
      if (def.name !== this.defaultDef.name) this.defs.set(def.name, def);
    }
  }

  // get returns a network by name, or NOT_FOUND saying how to make one.
  get(name: string): NetworkDef {
    checkNetworkName(name, "network");
    const def = name === this.defaultDef.name ? this.defaultDef : this.defs.get(name);
    if (def === undefined) throw notFound(`network ${quote(name)} not found: create it first (CreateNetwork, or berth network create)`);
    return def;
  }

  all(): NetworkDef[] {
    return [this.defaultDef, ...[...this.defs.values()].sort((a, b) => a.name.localeCompare(b.name))];
  }

  isDefault(name: string): boolean {
    return name === this.defaultDef.name;
  }

  // create checks a new network against the others and the host, and
  // keeps it.
  async create(req: NetworkRequest): Promise<NetworkDef> {
    const def = networkDef(req);
    if (this.isDefault(def.name) || this.defs.has(def.name)) throw alreadyExists(`network ${quote(def.name)} already exists: remove it first or pick another name`);
    const mine = subnetsOf(def);
    for (const other of this.all()) {
      if (other.bridge === def.bridge) throw alreadyExists(`bridge ${quote(def.bridge)} is network ${quote(other.name)}'s: give another bridge name`);
      const hit = subnetsOf(other).find((s) => mine.some((m) => overlaps(m, s)));
      if (hit !== undefined) throw failedPrecondition(`subnet ${formatSubnet(hit)} of network ${quote(other.name)} overlaps ${formatSubnet(mine.find((m) => overlaps(m, hit))!)}: pick a subnet apart from every network's`);
    }
    const bridges = new Set(this.all().map((d) => d.bridge));
    for (const route of await hostRoutes()) {
      if (bridges.has(route.device) || route.subnet.prefix === 0) continue;
      const mineHit = mine.find((m) => overlaps(m, route.subnet));
      if (mineHit !== undefined) throw failedPrecondition(`subnet ${formatSubnet(mineHit)} overlaps the host's route ${formatSubnet(route.subnet)} on ${route.device}: pick a subnet the host does not use`);
    }
    if (await access(`/sys/class/net/${def.bridge}`).then(() => true, () => false)) {
      throw failedPrecondition(`the host already has a device named ${quote(def.bridge)}: give another bridge name`);
    }
    await writeFileAtomic(join(this.dir, `${def.name}.json`), JSON.stringify(def));
    this.defs.set(def.name, def);
    return def;
  }

  async remove(name: string): Promise<NetworkDef> {
    const def = this.get(name);
    if (this.isDefault(name)) throw invalidArgument(`network ${quote(name)} is the daemon's default network and cannot be removed`);
    await rm(join(this.dir, `${name}.json`), { force: true });
    this.defs.delete(name);
    return def;
  }
}

export type { Subnet };
