// The faults of a pull that need a registry to misbehave on cue (a fake
// one serving a real layout): bytes that do not match their digest, a
// pull cancelled mid-layer, and two pulls of one image at once.
import { join } from "node:path";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { until } from "../fixtures/until.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";
import { failure, scratch, type Scratch } from "./registry-fixtures.js";
import { buildTestImage, type TestImage } from "./test-image.js";

describe("pull faults", { timeout: 30_000 }, () => {
  let image: TestImage;
  let fake: FakeRegistry;
  let layouts: Scratch;
  const locals: Scratch[] = [];
  const local = async (name: string) => {
    const s = await scratch(name);
    locals.push(s);
    return s;
  };

  beforeAll(async () => {
    layouts = await scratch("faults-layout");
    image = await buildTestImage(join(layouts.dir, "layout"), "faults");
    fake = await startFakeRegistry(image.layout);
  });

  afterEach(async () => {
    fake.release();
    fake.corrupt.clear();
    fake.blobRequests.clear();
    for (const s of locals.splice(0)) await s.remove();
  });

  afterAll(async () => {
    await fake?.close();
    await layouts?.remove();
  });

  const biggest = () => [...image.layers].sort((a, b) => b.size - a.size)[0]!;

  it("refuses a blob whose bytes do not match its digest with DATA_LOSS, keeps none of it, and leaves no image", async () => {
    const s = await local("mismatch");
    const bad = image.layers[1]!;
    fake.corrupt.add(bad.digest);
    const err = await failure(s.client.pull(`${fake.host}/test/busybox`));
    expect([err.code, err.message]).toEqual(["data_loss", expect.stringMatching(new RegExp(`registry ${fake.host} sent blob ${bad.digest} with content whose digest is sha256:[0-9a-f]{64}; it was not kept`))]);
    expect(await s.store.has(bad.digest)).toBe(false);
    expect(await s.ingests()).toEqual([]);
    expect(s.store.records().tags).toEqual({});
    // Once the registry serves it right, the same pull works.
    fake.corrupt.clear();
    expect((await s.client.pull(`${fake.host}/test/busybox`)).digest).toBe(image.manifest.digest);
  });

  it("is cancelled mid-layer with CANCELLED, leaving nothing half-written and no image; the pull then runs again", async () => {
    const s = await local("cancel");
    const layer = biggest();
    fake.stall.add(layer.digest);
    const controller = new AbortController();
    const pulling = s.client.pull(`${fake.host}/test/busybox`, { signal: controller.signal });
    await fake.stalled(layer.digest);
    controller.abort();
    const err = await failure(pulling);
    expect(err.code).toBe("canceled");
    expect(await s.store.has(layer.digest)).toBe(false);
    expect(await s.ingests()).toEqual([]);
    expect(s.store.records().tags).toEqual({});
    fake.release();
    expect((await s.client.pull(`${fake.host}/test/busybox`)).digest).toBe(image.manifest.digest);
  });

  it("stops its other downloads when one layer fails: the failure is heard while another layer is stalled mid-blob, and nothing half-written is left", async () => {
    const s = await local("fail-stops");
    // The first two layers: both among the first downloads a pull starts.
    const [stalled, bad] = [image.layers[0]!, image.layers[1]!];
    fake.stall.add(stalled.digest);
    fake.corrupt.add(bad.digest);
    let settled = false;
    const pulling = failure(s.client.pull(`${fake.host}/test/busybox`)).finally(() => (settled = true));
    await fake.stalled(stalled.digest);
    // Half the stalled layer is written; the corrupt one fails meanwhile.
    // The pull ends with that failure without the stalled layer's release.
    await until(() => settled, "the pull to fail while a layer is stalled", 15_000);
    const err = await pulling;
    expect(err.code).toBe("data_loss");
    expect(err.message).toContain(bad.digest);
    expect(await s.ingests()).toEqual([]);
    expect(await s.store.has(stalled.digest)).toBe(false);
    expect(await s.store.has(bad.digest)).toBe(false);
    expect(s.store.records().tags).toEqual({});
    expect(s.client.downloads.waiters(stalled.digest)).toBe(0);
  });

  it("shares one download per blob between two pulls of the same image at once, and both finish", async () => {
    const s = await local("shared");
    const layer = biggest();
    fake.stall.add(layer.digest);
    const seen: Record<string, number[]> = { first: [], second: [] };
    const track = (who: string) => (e: { kind: string; digest?: string; done?: number }) => {
      if (e.kind === "layer" && e.digest === layer.digest) seen[who]!.push(e.done!);
    };
    const a = s.client.pull(`${fake.host}/test/busybox`, { onEvent: track("first") });
    await fake.stalled(layer.digest);
    const b = s.client.pull(`${fake.host}/test/busybox:latest`, { onEvent: track("second") });
    await until(() => s.client.downloads.waiters(layer.digest) === 2, "the second pull to wait on the first's download");
    fake.release();
    const [pa, pb] = await Promise.all([a, b]);
    expect([pa.digest, pb.digest]).toEqual([image.manifest.digest, image.manifest.digest]);
    for (const blob of [image.config, ...image.layers]) expect([blob.digest, fake.blobRequests.get(blob.digest) ?? 0]).toEqual([blob.digest, 1]);
    // Both heard the layer finish.
    expect(seen["first"]!.at(-1)).toBe(layer.size);
    expect(seen["second"]!.at(-1)).toBe(layer.size);
  });

  it("keeps a shared download going for the other pull when one of the two is cancelled", async () => {
    const s = await local("shared-cancel");
    const layer = biggest();
    fake.stall.add(layer.digest);
    const controller = new AbortController();
    const a = s.client.pull(`${fake.host}/test/busybox`, { signal: controller.signal });
    await fake.stalled(layer.digest);
    const b = s.client.pull(`${fake.host}/test/busybox`);
    await until(() => s.client.downloads.waiters(layer.digest) === 2, "the second pull to wait on the first's download");
    controller.abort();
    expect((await failure(a)).code).toBe("canceled");
    fake.release();
    expect((await b).digest).toBe(image.manifest.digest);
    expect(fake.blobRequests.get(layer.digest)).toBe(1);
    expect(await s.store.has(layer.digest)).toBe(true);
  });
});
