// Prune leaves an image a lease keeps: a Create that has found its image
// but not yet taken its container's hold on it (image-ops.ts forCreate),
// and a Pull or Load that has just committed it. Once the lease ends, the
// image is prunable again.
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { ImageCatalog } from "../../src/image/image-catalog.js";
import { ImageStore } from "../../src/image/image-store.js";
import { useTempDir } from "../backend/temp-dir.js";
import { buildImage, buildLayer, ingestImage } from "../fixtures/oci-image.js";

const tempDir = useTempDir("berth-prune-lease-");

async function storeWithImage(): Promise<{ store: ImageStore; manifest: string }> {
  const store = new ImageStore(join(tempDir(), "images"));
  await store.open();
  const image = await buildImage([await buildLayer([{ name: "a", content: "a" }])]);
  await ingestImage(store, image);
  await store.commitImage("example.com/leased:one", image.manifestDigest);
  return { store, manifest: image.manifestDigest };
}

describe("Prune and leases", () => {
  it("keeps an image a live lease keeps, and prunes it once the lease ends", async () => {
    const { store, manifest } = await storeWithImage();
    const catalog = new ImageCatalog(store);
    const lease = store.openLease("create ns/c1");
    lease.keepImage(manifest);

    const during = await catalog.prune(true);
    expect(during.deleted).toEqual([]);
    expect(store.records().images[manifest]).toBeDefined();

    lease.release();
    const after = await catalog.prune(true);
    expect(after.untagged).toEqual(["example.com/leased:one"]);
    expect(store.records().images[manifest]).toBeUndefined();
  });

  it("a commit under a lease keeps its image from Prune until that lease ends", async () => {
    const store = new ImageStore(join(tempDir(), "images"));
    await store.open();
    const image = await buildImage([await buildLayer([{ name: "b", content: "b" }])]);
    await ingestImage(store, image);
    const catalog = new ImageCatalog(store);
    let prunedDuring: string[] = ["not run"];
    await store.withLease("pull example.com/leased:two", async () => {
      await store.commitImage("example.com/leased:two", image.manifestDigest);
      prunedDuring = (await catalog.prune(true)).deleted;
    });
    expect(prunedDuring).toEqual([]);
    expect((await catalog.prune(true)).deleted).toHaveLength(1);
  });
});
