// A daemon SIGKILLed in the middle of a prune (after the first image's
// record went, and halfway through removing a snapshot), then started
// again on the same state directory: every image still recorded is whole
// (its blobs and every layer's snapshot complete), no snapshot or blob is
// left that no image uses, the container of the image in use still runs
// on it, and the prune then runs to its end.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

import { beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { builtDist, DaemonProcess, daemonPlace, finish, type DaemonPlace } from "../durability/daemon-process.js";
import { busyboxImage, chunksOf, ociArchive } from "../fixtures/busybox-images.js";

const REPO = "registry.example.test/crash";

interface Records {
  images: Record<string, { manifest: string; config: string; layers: string[]; chainIds: string[] }>;
  tags: Record<string, string>;
}

// wholeness reads the store as it is on disk and says what is wrong with
// it: an image missing a blob or a complete snapshot, a snapshot or blob no
// image reaches, anything left in ingest.
async function wholeness(place: DaemonPlace): Promise<string[]> {
  const root = join(place.stateDir, "images");
  const records = JSON.parse(await readFile(join(root, "records.json"), "utf8")) as Records;
  const snapshots = new Set(await readdir(join(root, "snapshots")));
  const blobs = new Set(await readdir(join(root, "blobs", "sha256")));
  const complete = async (hex: string) => stat(join(root, "snapshots", hex, "complete")).then(() => true, () => false);
  const problems: string[] = [];
  const usedSnapshots = new Set<string>();
  const usedBlobs = new Set<string>();
  for (const image of Object.values(records.images)) {
    for (const chain of image.chainIds) {
      usedSnapshots.add(chain.slice(7));
      if (!(await complete(chain.slice(7)))) problems.push(`image ${image.config} lacks its snapshot ${chain}`);
    }
    for (const blob of [image.manifest, image.config, ...image.layers]) {
      usedBlobs.add(blob.slice(7));
      if (!blobs.has(blob.slice(7))) problems.push(`image ${image.config} lacks its blob ${blob}`);
    }
  }
  for (const s of snapshots) if (!usedSnapshots.has(s)) problems.push(`snapshot ${s} belongs to no image`);
  for (const b of blobs) if (!usedBlobs.has(b)) problems.push(`blob ${b} belongs to no image`);
  const ingest = await readdir(join(root, "ingest")).catch(() => []);
  if (ingest.length > 0) problems.push(`ingest holds ${ingest.join(", ")}`);
  return problems;
}

async function exec(client: Client, id: string, args: string[]): Promise<string> {
  const pid = `p${Date.now().toString(36)}`;
  await client.addProcess(id, pid, { args });
  await client.wait(id, { processId: pid });
  let out = "";
  for await (const line of client.logs(id, { processId: pid })) out += `${Buffer.from(line.line).toString()}\n`;
  return out;
}

describe("a daemon killed during a prune", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await builtDist();
  }, 180_000);

  it.each([
    // One image's record is gone; nothing of its content is yet.
    ["image:prune-after-record", "a record"],
    // A snapshot has lost its marker; its files are still there.
    ["image:snapshot-remove-after-marker", "a snapshot"],
  ] as const)("at %s (%s removed): after the restart every image is whole, nothing is orphaned, the container runs on and the prune finishes", async (failpoint, _what) => {
    const place = daemonPlace(`prunecrash-${failpoint.split(":")[1]}`);
    let daemon: DaemonProcess | undefined;
    const cid = place.id("user");
    try {
      daemon = await DaemonProcess.start(place, { failpoint });
      let client = await daemon.client();
      const kept = await busyboxImage("crash-kept", { Cmd: ["sleep", "300"] });
      await client.loadImages(chunksOf(await ociArchive([{ image: kept, name: `${REPO}/kept:1` }])));
      for (const name of ["a", "b", "c"]) {
        await client.loadImages(chunksOf(await ociArchive([{ image: await busyboxImage(`crash-${name}`), name: `${REPO}/${name}:1` }])));
      }
      await client.create(cid, { image: `${REPO}/kept:1` });
      const pruning = client.pruneImages({ all: true }).then(
        () => "pruned",
        (err: { code?: string }) => err.code ?? String(err),
      );
      expect(await pruning).toBe("unavailable");
      expect((await daemon.exited).signal).toBe("SIGKILL");
      await client.close().catch(() => {});
      // The premise: the kill left content that no image reaches any more.
      expect(await wholeness(place)).toContainEqual(expect.stringMatching(/^snapshot \w+ belongs to no image$/));

      daemon = await DaemonProcess.start(place);
      client = await daemon.client();
      try {
        expect(await wholeness(place)).toEqual([]);
        expect(await exec(client, cid, ["cat", "/data/unique", "/data/a"])).toBe("crash-kept\nhard-linked\n");
        await client.pruneImages({ all: true });
        expect((await client.listImages()).map((i) => i.repoTags)).toEqual([[`${REPO}/kept:1`]]);
        expect(await wholeness(place)).toEqual([]);
        expect(await readdir(join(place.stateDir, "images", "snapshots"))).toHaveLength(3);
        await client.delete(cid, { force: true });
      } finally {
        await client.close();
      }
    } finally {
      await finish(place, daemon);
    }
  });
});
