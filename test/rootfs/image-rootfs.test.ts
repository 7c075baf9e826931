import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { arch, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { ensureImageRootfs } from "../../src/rootfs/image-rootfs.js";

const GO_ARCH = arch() === "x64" ? "amd64" : arch();

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { recursive: true })) out.push(entry);
  return out.sort();
}

async function expectCode(promise: Promise<unknown>, code: "not_found" | "invalid_argument", text: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBerthError(err, code), String(err)).toBe(true);
  expect((err as Error).message).toMatch(text);
}

describe("ensureImageRootfs", () => {
  let dir: string;
  let stateDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-rootfstest-image-"));
    stateDir = join(dir, "state");
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("unpacks a .tar and a .tar.gz into a cache keyed by content, once", { timeout: 20_000 }, async () => {
    const src = join(dir, "plain-src");
    await writeFiles(src, { "etc/hostname": "img\n", "bin/tool": "#!/bin/sh\n" });
    await execa("tar", ["-C", src, "-cf", join(dir, "plain.tar"), "."]);
    await execa("tar", ["-C", src, "-czf", join(dir, "plain.tgz"), "."]);

    const fromTar = await ensureImageRootfs(stateDir, join(dir, "plain.tar"));
    const digest = createHash("sha256").update(await readFile(join(dir, "plain.tar"))).digest("hex");
    expect(fromTar).toBe(join(stateDir, "images", digest, "rootfs"));
    expect(await readFile(join(fromTar, "etc", "hostname"), "utf8")).toBe("img\n");
    expect(await readdir(dirname(fromTar))).toEqual(["complete", "rootfs"]); // marker beside, not inside

    const before = (await stat(join(fromTar, "etc", "hostname"))).ino;
    expect(await ensureImageRootfs(stateDir, join(dir, "plain.tar"))).toBe(fromTar);
    expect((await stat(join(fromTar, "etc", "hostname"))).ino).toBe(before); // reused, not unpacked again

    const fromTgz = await ensureImageRootfs(stateDir, join(dir, "plain.tgz"));
    expect(fromTgz).not.toBe(fromTar);
    expect(await listTree(fromTgz)).toEqual(await listTree(fromTar));
    // No temporaries left; .digests remembers what each file hashed to.
    expect((await readdir(join(stateDir, "images"))).filter((name) => name.startsWith("."))).toEqual([".digests"]);
  });

  it("unpacks a file anew when its content changes in place", { timeout: 20_000 }, async () => {
    const src = join(dir, "changing-src");
    const archive = join(dir, "changing.tar");
    await writeFiles(src, { "version": "1\n" });
    await execa("tar", ["-C", src, "-cf", archive, "."]);
    const first = await ensureImageRootfs(stateDir, archive);
    await writeFiles(src, { "version": "2\n" });
    await execa("tar", ["-C", src, "-cf", archive, "."]);
    const second = await ensureImageRootfs(stateDir, archive);
    expect(second).not.toBe(first);
    expect(await readFile(join(second, "version"), "utf8")).toBe("2\n");
  });

  it("says NOT_FOUND for a missing file and INVALID_ARGUMENT for what is not a tar", async () => {
    await expectCode(ensureImageRootfs(stateDir, join(dir, "nope.tar")), "not_found", /does not exist/);
    await writeFile(join(dir, "text.tar"), "just some text, long enough to not be anything\n".repeat(20));
    await expectCode(ensureImageRootfs(stateDir, join(dir, "text.tar")), "invalid_argument", /not a usable tar archive.*\.tar\.gz/);
    await writeFile(join(dir, "text.tgz"), gzipSync(Buffer.from("x".repeat(2000))));
    await expectCode(ensureImageRootfs(stateDir, join(dir, "text.tgz")), "invalid_argument", /no ustar magic/);
    await expectCode(ensureImageRootfs(stateDir, dir), "invalid_argument", /not a regular file/);
  });

  describe("OCI image layout archives", () => {
    let layout: string;
    let outside: string;

    // addBlob stores content under blobs/sha256 and returns its descriptor.
    async function addBlob(mediaType: string, content: Buffer | string, extra: object = {}) {
      const bytes = Buffer.from(content);
      const hex = createHash("sha256").update(bytes).digest("hex");
      await mkdir(join(layout, "blobs", "sha256"), { recursive: true });
      await writeFile(join(layout, "blobs", "sha256", hex), bytes);
      return { mediaType, digest: `sha256:${hex}`, size: bytes.length, ...extra };
    }

    // layerTar archives exactly the members named, or all of src when none.
    async function layerTar(src: string, members: string[], gzip: boolean): Promise<Buffer> {
      const out = join(dir, `layer-${Math.random().toString(16).slice(2)}.tar`);
      const select = members.length === 0 ? ["."] : ["--no-recursion", ...members];
      await execa("tar", ["-C", src, gzip ? "-czf" : "-cf", out, ...select]);
      return readFile(out);
    }

    beforeAll(async () => {
      layout = join(dir, "layout");
      outside = join(dir, "outside");
      await mkdir(outside);

      const one = join(dir, "layer-one");
      await writeFiles(one, {
        "etc/hostname": "one\n",
        "keep/a": "a\n",
        "gone/b": "b\n",
        "opq/old": "old\n",
        "dir-to-file/x": "x\n",
      });
      await symlink(outside, join(one, "escape")); // absolute: a host path if followed
      const layer1 = await layerTar(one, [], false);

      const two = join(dir, "layer-two");
      await writeFiles(two, {
        ".wh.gone": "",
        "etc/.wh.hostname": "",
        "opq/.wh..wh..opq": "",
        "opq/new": "new\n",
        "dir-to-file": "now a file\n",
        "escape/pwned": "should stay inside\n",
        "keep/c": "c\n",
      });
      // No "escape/" directory entry: tar alone would follow the symlink.
      const members = [
        "./.wh.gone",
        "./etc/.wh.hostname",
        "./opq",
        "./opq/.wh..wh..opq",
        "./opq/new",
        "./dir-to-file",
        "./escape/pwned",
        "./keep/c",
      ];
      const layer2 = await layerTar(two, members, true);

      const config = await addBlob("application/vnd.oci.image.config.v1+json", JSON.stringify({ architecture: GO_ARCH, os: "linux" }));
      const ours = await addBlob(
        "application/vnd.oci.image.manifest.v1+json",
        JSON.stringify({
          schemaVersion: 2,
          config,
          layers: [
            await addBlob("application/vnd.oci.image.layer.v1.tar", layer1),
            await addBlob("application/vnd.oci.image.layer.v1.tar+gzip", layer2),
          ],
        }),
        { platform: { os: "linux", architecture: GO_ARCH } },
      );
      // Another platform's manifest whose layer is absent: picking it fails.
      const theirs = await addBlob(
        "application/vnd.oci.image.manifest.v1+json",
        JSON.stringify({
          schemaVersion: 2,
          config,
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${"0".repeat(64)}`, size: 1 }],
        }),
        { platform: { os: "linux", architecture: "s390x-not-this" } },
      );
      const nested = await addBlob(
        "application/vnd.oci.image.index.v1+json",
        JSON.stringify({ schemaVersion: 2, manifests: [theirs, ours] }),
      );
      await writeFile(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [nested] }));
      await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
      await execa("tar", ["-C", layout, "-cf", join(dir, "oci.tar"), "."]);
    });

    it("applies this platform's layers in order, with whiteouts, without leaving the rootfs", { timeout: 20_000 }, async () => {
      const rootfs = await ensureImageRootfs(stateDir, join(dir, "oci.tar"));
      expect(await listTree(rootfs)).toEqual(["dir-to-file", "escape", "escape/pwned", "etc", "keep", "keep/a", "keep/c", "opq", "opq/new"]);
      expect(await readFile(join(rootfs, "dir-to-file"), "utf8")).toBe("now a file\n");
      expect(await readdir(outside)).toEqual([]);
      expect(await readdir(dirname(rootfs))).toEqual(["complete", "rootfs"]); // layout and staging gone
    });

    it("rejects a layout whose blob does not match its digest", { timeout: 20_000 }, async () => {
      const corrupt = join(dir, "corrupt");
      await execa("cp", ["-a", layout, corrupt]);
      // The gzip blob is the second layer: append a byte so its digest fails.
      for (const name of await readdir(join(corrupt, "blobs", "sha256"))) {
        const path = join(corrupt, "blobs", "sha256", name);
        const bytes = await readFile(path);
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) await writeFile(path, Buffer.concat([bytes, Buffer.from([0])]));
      }
      await execa("tar", ["-C", corrupt, "-cf", join(dir, "corrupt.tar"), "."]);
      await expectCode(ensureImageRootfs(stateDir, join(dir, "corrupt.tar")), "invalid_argument", /corrupt\.tar: unusable OCI image layout: blob sha256:[0-9a-f]+ does not match/);
    });
  });
});
