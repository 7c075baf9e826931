// A layer crafted to escape its snapshot folder writes nothing outside it:
// "../", absolute paths, a symlink then a file through it, a hard link to a
// host path. Each is refused as INVALID_ARGUMENT (absolute names land
// inside, as tar and Docker treat them), and no snapshot is kept.
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { ImageStore } from "../../src/image/image-store.js";
import { useTempDir } from "../backend/temp-dir.js";
import { buildImage, buildLayer, ingestImage, type LayerEntry } from "../fixtures/oci-image.js";

const tempDir = useTempDir("berth-layer-escape-");

async function commit(entries: LayerEntry[]): Promise<{ store: ImageStore; result: Promise<unknown> }> {
  const store = new ImageStore(join(tempDir(), "state", "images"));
  await store.open();
  const image = buildImage([await buildLayer(entries)]);
  await ingestImage(store, image);
  return { store, result: store.commitImage("escape:test", image.manifestDigest) };
}

// Everything the test dir holds besides the state folder: what an escape
// would have written.
async function outside(): Promise<string[]> {
  return (await readdir(tempDir())).filter((n) => n !== "state" && n !== "victim");
}

describe("a hostile layer", () => {
  const victim = () => join(tempDir(), "victim");

  it.each<[string, LayerEntry[]]>([
    ["climbs with ../", [{ name: "../../../escaped", content: "x" }]],
    ["climbs in a hard link target", [{ name: "a", content: "a" }, { name: "b", type: "link", linkname: "../../../../victim" }]],
    ["writes through its own symlink", [{ name: "link", type: "symlink", linkname: "/tmp" }, { name: "link/escaped", content: "x" }]],
    ["writes through a relative symlink", [{ name: "up", type: "symlink", linkname: "../../../.." }, { name: "up/escaped", content: "x" }]],
    ["hard-links a host file", [{ name: "pw", type: "link", linkname: "/etc/passwd" }]],
  ])("that %s is refused and writes nothing outside", async (_name, entries) => {
    await writeFile(victim(), "untouched");
    const { store, result } = await commit(entries);
    await expect(result).rejects.toMatchObject({ code: "invalid_argument" });
    expect(await outside()).toEqual([]);
    expect((await stat(victim())).nlink).toBe(1);
    expect(await store.snapshots.list()).toEqual([]);
    expect(await readdir(store.snapshots.root)).toEqual([]);
  });

  it("with absolute member names lands them inside its snapshot", async () => {
    const { store, result } = await commit([{ name: "/abs-file", content: "inside" }, { name: "/etc/", type: "directory" }, { name: "/etc/x", content: "y" }]);
    await result;
    const [chain] = await store.snapshots.list();
    expect((await readdir(join(store.snapshots.root, chain!.slice(7), "fs"))).sort()).toEqual(["abs-file", "etc"]);
    expect(await outside()).toEqual([]);
  });
});
