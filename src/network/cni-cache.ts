// ResultCache keeps what each ADD returned, as libcni's cache does
// (cacheAdd/getCachedResult in libcni/api.go: one file per network,
// container and interface), so a DEL or CHECK gets the ADD's result as its
// prevResult and the config the ADD ran with, even after a daemon restart
// or a change of the network's settings.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

import { writeFileAtomic } from "./write-file-atomic.js";

export interface CachedAdd {
  kind: "cniCacheV1";
  containerId: string;
  ifName: string;
  networkName: string;
  // config is the network configuration list the ADD ran with.
  config: Record<string, unknown>;
  capabilityArgs: Record<string, unknown>;
  result: Record<string, unknown>;
}

export class ResultCache {
  constructor(readonly dir: string) {}

  private path(network: string, containerId: string, ifName: string): string {
    return join(this.dir, `${network}-${containerId}-${ifName}`);
  }

  async save(entry: CachedAdd): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path(entry.networkName, entry.containerId, entry.ifName), JSON.stringify(entry));
  }

  async load(network: string, containerId: string, ifName: string): Promise<CachedAdd | undefined> {
    const text = await readFile(this.path(network, containerId, ifName), "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const entry = JSON.parse(text) as CachedAdd;
      return entry.kind === "cniCacheV1" ? entry : undefined;
    } catch {
      // A torn entry is no result: DEL runs without prevResult.
      return undefined;
    }
  }

  async remove(network: string, containerId: string, ifName: string): Promise<void> {
    await rm(this.path(network, containerId, ifName), { force: true });
  }

  // all lists every entry, for the sweep at start-up.
  async all(): Promise<CachedAdd[]> {
    const out: CachedAdd[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const text = await readFile(join(this.dir, name), "utf8").catch(() => undefined);
      if (text === undefined) continue;
      try {
        const entry = JSON.parse(text) as CachedAdd;
        if (entry.kind === "cniCacheV1") out.push(entry);
      } catch {
        await rm(join(this.dir, name), { force: true });
      }
    }
    return out;
  }
}
