// UsernsBlocks gives each user-namespaced container its ids: an auto
// container a block of the daemon's subordinate range, disjoint from
// every other container's; explicit mappings are checked to stay out of
// that range. A container's mappings live in its record (createdWith
// .userns), so the blocks held survive a restart: before the first block
// is handed out, every record in the state directory is read and its
// block reserved, and a block goes back only once its record is removed.
import { readdir } from "node:fs/promises";
import { join } from "node:path";

import { invalidArgument } from "../errors/berth-error.js";
import type { CheckedUserns } from "../spec/userns-options.js";
import { overlapsRange } from "../spec/userns-options.js";
import { RangeAllocator } from "../userns/range-allocator.js";
import { DEFAULT_SUBORDINATE_RANGE, type SubordinateRange } from "../userns/subordinate-range.js";
import { readRecord, type UsernsRecord } from "./container-record.js";

export class UsernsBlocks {
  private readonly allocator: RangeAllocator;
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly containersDir: string,
    range: SubordinateRange = DEFAULT_SUBORDINATE_RANGE,
    private readonly reportError: (err: unknown) => void = () => {},
  ) {
    this.allocator = new RangeAllocator(range);
  }

  get range(): SubordinateRange {
    return this.allocator.range;
  }

  // acquire gives the container namespace/id the mappings its request asks
  // for (undefined: the host's namespace).
  async acquire(namespace: string, id: string, userns: CheckedUserns): Promise<UsernsRecord | undefined> {
    switch (userns.mode) {
      case "host":
        return undefined;
      case "mappings": {
        const { start, count } = this.range;
        for (const [name, map] of [["uid_mappings", userns.uid], ["gid_mappings", userns.gid]] as const) {
          if (overlapsRange(map, start, count)) {
            throw invalidArgument(`security.userns.${name} reach into the daemon's subordinate range ${start}:${count}, which auto containers get their ids from: map to host ids outside it`);
          }
        }
        return { mode: "mappings", uid: userns.uid.map((m) => ({ ...m })), gid: userns.gid.map((m) => ({ ...m })) };
      }
      case "auto": {
        await this.load();
        const block = this.allocator.allocate(ownerOf(namespace, id), userns.size);
        const map = [{ containerId: 0, hostId: block.start, size: block.size }];
        return { mode: "auto", uid: map, gid: map.map((m) => ({ ...m })) };
      }
    }
  }

  // release gives back the block of a container whose record is gone.
  async release(namespace: string, id: string): Promise<void> {
    await this.load();
    this.allocator.release(ownerOf(namespace, id));
  }

  // load reserves the blocks of every auto container on disk, once.
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      for (const ns of await readdir(this.containersDir).catch(() => [] as string[])) {
        for (const id of await readdir(join(this.containersDir, ns)).catch(() => [] as string[])) {
          const record = await readRecord(join(this.containersDir, ns, id, "record.json")).catch((err: unknown) => {
            this.reportError(err);
            return undefined;
          });
          const userns = record?.createdWith?.userns;
          const first = userns?.uid[0];
          if (userns?.mode === "auto" && first !== undefined) this.allocator.reserve(ownerOf(ns, id), { start: first.hostId, size: first.size });
        }
      }
    })();
    return this.loaded;
  }
}

function ownerOf(namespace: string, id: string): string {
  return `${namespace}/${id}`;
}
