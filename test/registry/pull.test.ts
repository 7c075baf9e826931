// Pulls from a real registry (Debian's docker-registry on 127.0.0.1) into a
// real image store: plain HTTP, htpasswd Basic auth, TLS with a CA of the
// test's own, and Bearer tokens from the test's token server; an index
// with two platforms; and each way a pull or login can be refused.
import { truncate } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { RegistryClient } from "../../src/registry/registry-client.js";
import { registryPuller } from "../../src/registry/registry-puller.js";
import { until } from "../fixtures/until.js";
import { startFakeRegistry } from "./fake-registry.js";
import { freePort, PASSWORD, startRegistry, USER, type RegistryKind, type TestRegistry } from "./registry-process.js";
import { failure, scratch, type Scratch } from "./registry-fixtures.js";
import { buildTestImage, buildTestIndex, type TestImage, type TestIndex } from "./test-image.js";

const KINDS: RegistryKind[] = ["plain", "htpasswd", "tls", "token"];

describe("pull from docker-registry", { timeout: 60_000 }, () => {
  const registries = new Map<RegistryKind, TestRegistry>();
  let image: TestImage;
  let index: TestIndex;
  let s: Scratch;

  beforeAll(async () => {
    s = await scratch("pull");
    image = await buildTestImage(join(s.dir, "layout"), "pull-test");
    index = await buildTestIndex(join(s.dir, "index"), "pull-index");
    for (const kind of KINDS) {
      const registry = await startRegistry(kind);
      registries.set(kind, registry);
      await registry.push(image.layout, "test/busybox", { tag: "v1" });
    }
    await registries.get("plain")!.push(index.layout, "test/multi", { all: true });
  }, 120_000);

  afterAll(async () => {
    for (const r of registries.values()) await r.stop();
    await s?.remove();
  });

  it.each(KINDS)("pulls every blob, verified, from the %s registry and commits the image under its name", async (kind) => {
    const registry = registries.get(kind)!;
    const local = await scratch(`pull-${kind}`, { ...(registry.certsDir !== undefined && { certsDir: registry.certsDir }) });
    try {
      if (kind === "htpasswd" || kind === "token") expect(await local.client.login(registry.host, { username: USER, password: PASSWORD })).toBe(registry.host);
      const events: string[] = [];
      const pulled = await local.client.pull(`${registry.host}/test/busybox:v1`, { onEvent: (e) => events.push(e.kind === "layer" ? `${e.digest}:${e.state}` : e.kind) });
      expect(pulled.digest).toBe(image.manifest.digest);
      expect(pulled.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
      expect(await local.blobs()).toEqual([image.manifest, image.config, ...image.layers].map((b) => b.digest).sort());
      expect(await local.ingests()).toEqual([]);
      const records = local.store.records();
      expect(records.tags[`${registry.host}/test/busybox:v1`]).toBe(image.manifest.digest);
      expect(records.images[image.manifest.digest]?.repoDigests).toEqual([`${registry.host}/test/busybox@${image.manifest.digest}`]);
      // Progress: each layer waits, then is done, in that order.
      for (const layer of image.layers) {
        const mine = events.filter((e) => e.startsWith(layer.digest));
        expect(mine[0]).toBe(`${layer.digest}:waiting`);
        expect(mine.at(-1)).toBe(`${layer.digest}:done`);
      }
      // Again: every layer is already there.
      const again: string[] = [];
      await local.client.pull(`${registry.host}/test/busybox:v1`, { onEvent: (e) => e.kind === "layer" && e.state !== "waiting" && again.push(e.state) });
      expect(again).toEqual(["exists", "exists", "exists"]);
    } finally {
      await local.remove();
    }
  });

  it("chooses the host's platform from an index (listed second), or the one asked for", async () => {
    const host = registries.get("plain")!.host;
    const amd64 = await s.client.pull(`${host}/test/multi`);
    expect([amd64.digest, amd64.index?.digest]).toEqual([index.images.amd64.manifest.digest, index.index.digest]);
    expect(s.store.records().images[amd64.digest]?.repoDigests).toEqual([`${host}/test/multi@${index.index.digest}`]);
    const arm64 = await s.client.pull(`${host}/test/multi:latest`, { platform: "linux/arm64" });
    expect(arm64.digest).toBe(index.images.arm64.manifest.digest);
    const err = await failure(s.client.pull(`${host}/test/multi`, { platform: "linux/s390x" }));
    expect([err.code, err.message]).toEqual(["not_found", expect.stringMatching(/has no linux\/s390x image .* \(it has linux\/arm64, linux\/amd64\)/)]);
  });

  it("pulls by digest, and refuses content that does not match the digest asked for", async () => {
    const host = registries.get("plain")!.host;
    const pulled = await s.client.pull(`${host}/test/busybox@${image.manifest.digest}`);
    expect(pulled.digest).toBe(image.manifest.digest);
    const err = await failure(s.client.pull(`${host}/test/busybox@sha256:${"0".repeat(64)}`));
    expect(err.code).toBe("not_found");
    expect(err.message).toMatch(new RegExp(`registry ${host} says manifest sha256:0+ of test/busybox is not there \\(MANIFEST_UNKNOWN`));
  });

  it("says NOT_FOUND, as the registry said, for an image or a tag it does not have", async () => {
    const host = registries.get("plain")!.host;
    const noRepo = await failure(s.client.pull(`${host}/test/nothing-here:v1`));
    expect([noRepo.code, noRepo.message]).toEqual(["not_found", expect.stringMatching(/registry 127\.0\.0\.1:\d+ says manifest v1 of test\/nothing-here is not there \(MANIFEST_UNKNOWN/)]);
    const noTag = await failure(s.client.pull(`${host}/test/busybox:nope`));
    expect([noTag.code, noTag.message]).toEqual(["not_found", expect.stringMatching(/says manifest nope of test\/busybox is not there \(MANIFEST_UNKNOWN/)]);
  });

  it("says INVALID_ARGUMENT, showing what a reference looks like, for a malformed one", async () => {
    for (const bad of ["", "UPPER/case:x", "a//b", "busybox:-bad", "busybox@sha256:123", "host:port:x/y"]) {
      const err = await failure(s.client.pull(bad));
      expect([bad, err.code]).toEqual([bad, "invalid_argument"]);
      expect(err.message).toMatch(/a reference looks like busybox/);
    }
    const platform = await failure(s.client.pull("busybox", { platform: "linux" }));
    expect([platform.code, platform.message]).toEqual(["invalid_argument", expect.stringMatching(/give os\/architecture/)]);
  });

  it("says UNAVAILABLE naming the host for a registry nobody answers at", async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const err = await failure(s.client.pull(`${host}/test/busybox`));
    expect([err.code, err.message]).toEqual(["unavailable", expect.stringMatching(new RegExp(`cannot reach registry ${host}: .*ECONNREFUSED`))]);
  });

  it("refuses a TLS registry whose CA it was not given, and says where the CA goes", async () => {
    const registry = registries.get("tls")!;
    const err = await failure(s.newClient({}).pull(`${registry.host}/test/busybox:v1`));
    expect([err.code, err.message]).toEqual(["unavailable", expect.stringMatching(new RegExp(`registry ${registry.host} over https: its certificate is not trusted .*<certsDir>/${registry.host}/ca\\.crt`))]);
  });

  it("with Basic auth: UNAUTHENTICATED without credentials, and a login with a wrong password fails and saves nothing", async () => {
    const registry = registries.get("htpasswd")!;
    const local = await scratch("basic");
    try {
      const anonymous = await failure(local.client.pull(`${registry.host}/test/busybox:v1`));
      expect([anonymous.code, anonymous.message]).toEqual(["unauthenticated", `registry ${registry.host} wants credentials: run berth login ${registry.host}`]);
      const bad = await failure(local.client.login(registry.host, { username: USER, password: "wrong" }));
      expect([bad.code, bad.message]).toEqual(["unauthenticated", `registry ${registry.host} refused the credentials of user "${USER}": run berth login ${registry.host} again`]);
      expect(await local.client.credentials.get(registry.host)).toBeUndefined();
      await local.client.login(registry.host, { username: USER, password: PASSWORD });
      expect((await local.client.pull(`${registry.host}/test/busybox:v1`)).digest).toBe(image.manifest.digest);
      expect(await local.client.logout(registry.host)).toBe(true);
      expect(await local.client.logout(registry.host)).toBe(false);
      expect((await failure(local.client.pull(`${registry.host}/test/busybox:v1`))).code).toBe("unauthenticated");
    } finally {
      await local.remove();
    }
  });

  it("with Bearer tokens: no token grants access without credentials; wrong ones are refused at the token server", async () => {
    const registry = registries.get("token")!;
    const local = await scratch("token");
    try {
      const anonymous = await failure(local.client.pull(`${registry.host}/test/busybox:v1`));
      expect([anonymous.code, anonymous.message]).toEqual(["unauthenticated", expect.stringMatching(/refused access to "test\/busybox": it does not exist or needs credentials/)]);
      const bad = await failure(local.client.login(registry.host, { username: USER, password: "wrong" }));
      expect([bad.code, bad.message]).toEqual(["unauthenticated", expect.stringMatching(/refused the credentials of user "berth"/)]);
      // Saved by hand: a pull with wrong credentials is refused the same way.
      await local.client.credentials.set(registry.host, { username: USER, password: "wrong" });
      expect((await failure(local.client.pull(`${registry.host}/test/busybox:v1`))).message).toMatch(/refused the credentials of user "berth"/);
    } finally {
      await local.remove();
    }
  });

  it("unpacks each layer as soon as it is in, while another still downloads; the image comes only with the last", async () => {
    const early = await buildTestImage(join(s.dir, "early"), "pull-early");
    const fake = await startFakeRegistry(early.layout);
    const local = await scratch("pull-early");
    try {
      const held = early.layers[2]!;
      fake.stall.add(held.digest);
      const pulling = local.client.pull(`${fake.host}/early/busybox`);
      await fake.stalled(held.digest);
      // The two lower layers' snapshots are made while the top one is held.
      await until(async () => (await local.store.snapshots.list()).length === 2, "the two downloaded layers to be unpacked", 15_000);
      expect(local.store.records().images).toEqual({});
      fake.release();
      expect((await pulling).digest).toBe(early.manifest.digest);
      expect(await local.store.snapshots.list()).toEqual(expect.arrayContaining(local.store.records().images[early.manifest.digest]!.chainIds));
      expect(await local.store.snapshots.list()).toHaveLength(3);
    } finally {
      fake.release();
      await fake.close();
      await local.remove();
    }
  });

  it("fails on a layer the registry serves cut short, removing what it wrote of it and stopping the rest: nothing in the ingest folder, no image", async () => {
    // A registry of its own: the cut blob must not break the others' pulls.
    const registry = await startRegistry("plain");
    const local = await scratch("pull-cut");
    try {
      await registry.push(image.layout, "test/cut", { tag: "v1" });
      const cut = image.layers[0]!;
      const hex = cut.digest.slice("sha256:".length);
      const data = join(registry.dir, "storage/docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
      await truncate(data, Math.floor(cut.size / 2));
      const err = await failure(local.client.pull(`${registry.host}/test/cut:v1`));
      expect([err.code, err.message]).toEqual(["data_loss", expect.stringContaining(cut.digest)]);
      // Heard only once nothing of the pull is still writing.
      expect(await local.ingests()).toEqual([]);
      expect(await local.store.has(cut.digest)).toBe(false);
      expect(local.store.records().tags).toEqual({});
    } finally {
      await local.remove();
      await registry.stop();
    }
  });

  it("as the engine's puller, pulls into the store it is handed (not its own) and gives back the image as recorded", async () => {
    const registry = registries.get("plain")!;
    const own = await scratch("puller-own");
    const engines = await scratch("puller-engine");
    try {
      const noStore = new RegistryClient({ credentialsFile: join(own.dir, "auth.json") });
      expect(await failure(noStore.pull(`${registry.host}/test/busybox:v1`))).toMatchObject({ code: "failed_precondition" });
      const { image: entry } = await registryPuller(own.client)(`${registry.host}/test/busybox:v1`, engines.store, {});
      expect(entry).toMatchObject({ manifest: image.manifest.digest, config: image.config.digest, layers: image.layers.map((l) => l.digest) });
      expect(engines.store.records().tags[`${registry.host}/test/busybox:v1`]).toBe(image.manifest.digest);
      expect([await own.blobs(), own.store.records().tags]).toEqual([[], {}]);
    } finally {
      await own.remove();
      await engines.remove();
    }
  });
});
