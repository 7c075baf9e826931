// SnapshotStore keeps one read-only folder per layer, keyed by the layer's
// chain id, as containerd's overlay snapshotter does
// (plugins/snapshots/overlay/overlay.go): <root>/<hex>/fs holds the layer's
// changes in overlayfs format, <root>/<hex>/snapshot.json says what it was
// made from. A snapshot is built in a temporary sibling and renamed into
// place whole (buildAtomically), so a crash leaves either a complete
// snapshot or a temp that the next open removes.
import { lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { dataLoss } from "../errors/berth-error.js";
import { failpoint } from "../faults/failpoint.js";
import { buildAtomically } from "../rootfs/build-atomically.js";
import { hexOf } from "./digest.js";
import { unpackLayer } from "./unpack-layer.js";

const MARKER = "complete";

export interface SnapshotInfo {
  chainId: string;
  diffId: string;
  layer: string;
  size: number;
}

export class SnapshotStore {
  constructor(readonly root: string) {}

  async open(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    // Builds and removals cut short by a crash: their builder is gone, and a
    // folder without its marker is never trusted.
    for (const name of await readdir(this.root)) {
      if (/^[a-f0-9]{64}$/.test(name) && (await this.has(`sha256:${name}`))) continue;
      await rm(join(this.root, name), { recursive: true, force: true });
    }
  }

  // fsName is the snapshot's folder relative to root, as the overlay's
  // lowerdir names it (relative names keep the mount options short).
  fsName(chainId: string): string {
    return `${hexOf(chainId)}/fs`;
  }

  async has(chainId: string): Promise<boolean> {
    return lstat(join(this.root, hexOf(chainId), MARKER)).then(
      () => true,
      () => false,
    );
  }

  // prepare unpacks the layer blob at blobPath as the snapshot chainId,
  // unless it exists. The unpacked content must hash to diffId.
  async prepare(chainId: string, diffId: string, layer: string, blobPath: string): Promise<void> {
    if (await this.has(chainId)) return;
    await buildAtomically({
      target: join(this.root, hexOf(chainId)),
      marker: MARKER,
      markerContent: "",
      build: async (dir) => {
        const fs = join(dir, "fs");
        await mkdir(fs, { mode: 0o755 });
        const actual = await unpackLayer(blobPath, fs, layer);
        if (actual !== diffId) throw dataLoss(`layer ${layer} unpacks to ${actual}, not the diff id ${diffId} its image config names; it was not kept`);
        const info: SnapshotInfo = { chainId, diffId, layer, size: await diskUsage(fs) };
        await writeFile(join(dir, "snapshot.json"), `${JSON.stringify(info)}\n`);
      },
    });
  }

  async info(chainId: string): Promise<SnapshotInfo | undefined> {
    try {
      return JSON.parse(await readFile(join(this.root, hexOf(chainId), "snapshot.json"), "utf8")) as SnapshotInfo;
    } catch {
      return undefined;
    }
  }

  // list returns the chain ids of the complete snapshots.
  async list(): Promise<string[]> {
    const names = (await readdir(this.root).catch(() => [] as string[])).filter((n) => /^[a-f0-9]{64}$/.test(n));
    const complete = await Promise.all(names.map((n) => this.has(`sha256:${n}`)));
    return names.filter((_, i) => complete[i]).map((n) => `sha256:${n}`);
  }

  // remove deletes a snapshot; its marker goes first, so a crash halfway
  // leaves a folder the next open does not trust and list does not show.
  async remove(chainId: string): Promise<void> {
    const dir = join(this.root, hexOf(chainId));
    await rm(join(dir, MARKER), { force: true });
    failpoint("image:snapshot-remove-after-marker");
    await rm(dir, { recursive: true, force: true });
  }
}

// diskUsage adds up the blocks of every file below dir, each inode once
// (hard links share theirs), as du does.
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    const s = await lstat(path, { bigint: true });
    const key = `${s.dev}:${s.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      total += Number(s.blocks) * 512;
    }
    if (s.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(dir);
  return total;
}
