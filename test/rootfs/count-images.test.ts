// countImages counts only complete unpacked images, not builds in progress,
// the digest cache or anything else in the folder.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { countImages } from "../../src/rootfs/image-rootfs.js";

let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "berth-count-images-"));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("countImages", () => {
  it("is 0 before any image was unpacked", async () => {
    expect(await countImages(stateDir)).toBe(0);
  });

  it("counts the digests whose build completed", async () => {
    const images = join(stateDir, "images");
    const digest = (c: string) => c.repeat(64);
    for (const d of [digest("a"), digest("b"), digest("c")]) await mkdir(join(images, d, "rootfs"), { recursive: true });
    await writeFile(join(images, digest("a"), "complete"), "{}\n");
    await writeFile(join(images, digest("b"), "complete"), "{}\n");
    // c has no marker: a build cut short. The others are not images at all.
    await mkdir(join(images, `.${digest("d")}.tmp-1-abcd`), { recursive: true });
    await writeFile(join(images, `.${digest("d")}.tmp-1-abcd`, "complete"), "");
    await mkdir(join(images, ".digests"), { recursive: true });
    await mkdir(join(images, "not-a-digest"), { recursive: true });
    expect(await countImages(stateDir)).toBe(2);
  });
});
