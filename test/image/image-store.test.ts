// The image store: blobs verified as written, layers unpacked once per
// chain id into overlayfs-format snapshots, images committed atomically.
import { lstat, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";

import { execa } from "execa";
import { describe, expect, it } from "vitest";

import { ImageStore } from "../../src/image/image-store.js";
import { useTempDir } from "../backend/temp-dir.js";
import { buildImage, buildLayer, digestOf, ingestImage } from "../fixtures/oci-image.js";

const tempDir = useTempDir("berth-image-store-");

async function openStore(): Promise<ImageStore> {
  const store = new ImageStore(join(tempDir(), "images"));
  await store.open();
  return store;
}

describe("ImageStore", () => {
  it("keeps a blob only when its size and digest match (DATA_LOSS otherwise, nothing kept)", async () => {
    const store = await openStore();
    const data = Buffer.from("hello blob");
    await store.ingest(digestOf(data), data.length, Readable.from([data]));
    expect(await store.has(digestOf(data))).toBe(true);
    expect(await readFile(store.content.path(digestOf(data)), "utf8")).toBe("hello blob");

    const wrong = digestOf("something else");
    await expect(store.ingest(wrong, data.length, Readable.from([data]))).rejects.toMatchObject({ code: "data_loss" });
    await expect(store.ingest(digestOf(data.subarray(1)), data.length - 2, Readable.from([data.subarray(1)]))).rejects.toMatchObject({ code: "data_loss" });
    expect(await store.has(wrong)).toBe(false);
    expect(await readdir(join(tempDir(), "images", "ingest"))).toEqual([]);
    await expect(store.ingest("sha256:../../etc", 1, Readable.from([data]))).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("a canceled ingest is CANCELED and leaves nothing", async () => {
    const store = await openStore();
    const abort = new AbortController();
    const endless = new Readable({ read() { this.push(Buffer.alloc(1024)); } });
    const writing = store.ingest(digestOf("x"), undefined, endless, { signal: abort.signal });
    setImmediate(() => abort.abort());
    await expect(writing).rejects.toMatchObject({ code: "canceled" });
    expect(await readdir(join(tempDir(), "images", "ingest"))).toEqual([]);
  });

  it("unpacks layers once per chain id, with whiteouts and opaque folders in overlayfs form", async () => {
    const store = await openStore();
    const base = await buildLayer([
      { name: "etc/" },
      { name: "etc/motd", content: "base\n" },
      { name: "gone", content: "x" },
      { name: "opq/" },
      { name: "opq/old", content: "old" },
      { name: "odd", content: "odd", mode: 0o4750, uid: 1234, gid: 5678 },
      { name: "hard1", content: "linked" },
      { name: "hard2", type: "link", linkname: "hard1" },
      { name: "sym", type: "symlink", linkname: "/etc/motd" },
    ]);
    const top = await buildLayer([{ name: ".wh.gone", content: "" }, { name: "opq/", mode: 0o700 }, { name: "opq/.wh..wh..opq", content: "" }, { name: "opq/new", content: "new" }]);
    const image = buildImage([base, top], { Cmd: ["sh"] });
    await ingestImage(store, image);
    const result = await store.commitImage("example.com/test:one", image.manifestDigest);
    expect(result.image.chainIds).toHaveLength(2);
    const lower = store.lowerDirs(result.image);
    const [topDir, baseDir] = lower.dirs.map((d) => join(lower.cwd, d));
    const odd = await stat(join(baseDir!, "odd"));
    expect([odd.mode & 0o7777, odd.uid, odd.gid]).toEqual([0o4750, 1234, 5678]);
    expect((await stat(join(baseDir!, "hard1"))).ino).toBe((await stat(join(baseDir!, "hard2"))).ino);
    expect((await lstat(join(baseDir!, "sym"))).isSymbolicLink()).toBe(true);
    const whiteout = await lstat(join(topDir!, "gone"));
    expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);
    // Mounted, the overlay hides what the whiteout and the opaque folder hide.
    const merged = join(tempDir(), "merged");
    await mkdir(merged);
    await execa("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${lower.dirs.join(":")}`, merged], { cwd: lower.cwd });
    try {
      expect((await readdir(merged)).sort()).toEqual(["etc", "hard1", "hard2", "odd", "opq", "sym"]);
      expect(await readdir(join(merged, "opq"))).toEqual(["new"]);
    } finally {
      await execa("umount", [merged]);
    }
    expect((await stat(join(topDir!, "opq"))).mode & 0o777).toBe(0o700);
    expect(await readdir(topDir!)).not.toContain(".wh.gone");

    // A second image on the same base reuses the base snapshot.
    const other = buildImage([base], { Cmd: ["true"] });
    await ingestImage(store, other);
    const second = await store.commitImage("example.com/test:two", other.manifestDigest);
    expect(second.image.chainIds[0]).toBe(result.image.chainIds[0]);
    expect(await store.snapshots.list()).toHaveLength(2);
  });

  it("refuses an incomplete image and a layer whose content is not its diff id", async () => {
    const store = await openStore();
    const layer = await buildLayer([{ name: "a", content: "a" }]);
    const image = buildImage([layer]);
    await store.ingest(image.manifestDigest, image.manifest.length, Readable.from([image.manifest]));
    await expect(store.commitImage("x", image.manifestDigest)).rejects.toMatchObject({ code: "failed_precondition" });
    const lying = buildImage([{ ...layer, diffId: digestOf("not it") }]);
    await ingestImage(store, lying);
    await expect(store.commitImage("x", lying.manifestDigest)).rejects.toMatchObject({ code: "data_loss" });
    expect(await store.snapshots.list()).toEqual([]);
    expect(store.records().tags).toEqual({});
  });

  it("collects at open what a commit cut short left", async () => {
    const store = await openStore();
    const layer = await buildLayer([{ name: "a", content: "a" }]);
    const image = buildImage([layer]);
    await ingestImage(store, image);
    await mkdir(join(store.snapshots.root, ".half-built"));
    const reopened = await openStore();
    expect(await reopened.content.list()).toEqual([]);
    expect(await readdir(reopened.snapshots.root)).toEqual([]);
  });
});
