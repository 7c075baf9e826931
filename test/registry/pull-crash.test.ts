// A daemon SIGKILLed in the middle of a pull, then started again on the
// same state directory: there is no image, no blob, no snapshot and no
// file mid-write left of the pull, and the same pull then succeeds. Killed
// mid-layer (the fake registry holds the biggest layer halfway, so half of
// it is on disk), once every blob is in but before the image is recorded,
// and once the layers are unpacked but before the record is written.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { until } from "../fixtures/until.js";
import { builtDist, DaemonProcess, daemonPlace, finish, type DaemonPlace } from "../durability/daemon-process.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";
import { scratch, type Scratch } from "./registry-fixtures.js";
import { buildTestImage, type TestImage } from "./test-image.js";

interface StoreState {
  tags: Record<string, string>;
  images: string[];
  blobs: string[];
  ingest: string[];
  snapshots: string[];
}

const EMPTY: StoreState = { tags: {}, images: [], blobs: [], ingest: [], snapshots: [] };

// storeState reads the image store's folders as they are on disk, every
// entry (temp files and folders included), not what the store lists.
async function storeState(place: DaemonPlace): Promise<StoreState> {
  const root = join(place.stateDir, "images");
  const ls = async (sub: string) => (await readdir(join(root, sub)).catch(() => [] as string[])).sort();
  const records = JSON.parse(await readFile(join(root, "records.json"), "utf8").catch(() => "{}")) as { tags?: Record<string, string>; images?: Record<string, unknown> };
  return { tags: records.tags ?? {}, images: Object.keys(records.images ?? {}), blobs: await ls("blobs/sha256"), ingest: await ls("ingest"), snapshots: await ls("snapshots") };
}

async function ingestBytes(place: DaemonPlace): Promise<number> {
  const dir = join(place.stateDir, "images", "ingest");
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) total += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

describe("a daemon killed during a pull", { timeout: 120_000 }, () => {
  let image: TestImage;
  let fake: FakeRegistry;
  let layouts: Scratch;
  let reference: string;

  beforeAll(async () => {
    await builtDist();
    layouts = await scratch("crash-layout");
    image = await buildTestImage(join(layouts.dir, "layout"), "crash");
    fake = await startFakeRegistry(image.layout);
    reference = `${fake.host}/test/busybox:latest`;
  }, 180_000);

  afterAll(async () => {
    await fake?.close();
    await layouts?.remove();
  });

  const hex = (digest: string) => digest.replace(/^sha256:/, "");
  const biggest = () => [...image.layers].sort((a, b) => b.size - a.size)[0]!;

  // pullFails starts a pull and gives the code it fails with.
  const pullFails = (client: Client) => client.pull(reference).then(
    () => "pulled",
    (err: { code?: string }) => err.code ?? String(err),
  );

  // restartThenPull starts a daemon on the killed one's state, finds
  // nothing of the pull, pulls again and finds exactly the image.
  async function restartThenPull(place: DaemonPlace): Promise<DaemonProcess> {
    const daemon = await DaemonProcess.start(place);
    expect(await storeState(place)).toEqual(EMPTY);
    const client = await daemon.client();
    try {
      expect((await client.pull(reference)).digest).toBe(image.manifest.digest);
    } finally {
      await client.close();
    }
    const after = await storeState(place);
    expect(after).toEqual({
      tags: { [reference]: image.manifest.digest },
      images: [image.manifest.digest],
      blobs: [image.manifest, image.config, ...image.layers].map((b) => hex(b.digest)).sort(),
      ingest: [],
      snapshots: expect.any(Array),
    });
    expect(after.snapshots).toHaveLength(image.layers.length);
    return daemon;
  }

  it("mid-layer: half a layer on disk before the kill, nothing of the pull after the restart, and the pull runs again", async () => {
    const place = daemonPlace("pullcrash-layer");
    let daemon: DaemonProcess | undefined;
    try {
      daemon = await DaemonProcess.start(place);
      const client = await daemon.client();
      const layer = biggest();
      fake.stall.add(layer.digest);
      const pulling = pullFails(client);
      await fake.stalled(layer.digest);
      // The premise: the held layer's first half is being written.
      await until(async () => (await ingestBytes(place)) > 0, "the held layer's first half to reach the ingest folder", 15_000);
      await daemon.kill();
      expect(await pulling).toBe("unavailable");
      await client.close().catch(() => {});
      fake.release();
      expect((await storeState(place)).ingest).not.toEqual([]);
      daemon = await restartThenPull(place);
    } finally {
      fake.release();
      await finish(place, daemon);
    }
  });

  it.each([
    // Every blob is in; the image is not committed.
    ["pull:before-commit", "blobs"],
    // The layers are unpacked as snapshots; the record is not written.
    ["image:commit-after-unpack", "snapshots"],
  ] as const)("at %s: the %s written before the kill are gone after the restart, and the pull runs again", async (failpoint, written) => {
    const place = daemonPlace(`pullcrash-${written}`);
    let daemon: DaemonProcess | undefined;
    try {
      daemon = await DaemonProcess.start(place, { failpoint });
      const client = await daemon.client();
      expect(await pullFails(client)).toBe("unavailable");
      expect((await daemon.exited).signal).toBe("SIGKILL");
      await client.close().catch(() => {});
      const killed = await storeState(place);
      expect([killed[written].length > 0, killed.tags, killed.images]).toEqual([true, {}, []]);
      daemon = await restartThenPull(place);
    } finally {
      await finish(place, daemon);
    }
  });
});
