// Pull, Login and Logout through both clients against a real daemon: the
// progress stream, the image in the daemon's store, credentials kept in a
// 0600 file and nowhere else, each refusal's status over the wire, a pull
// cancelled by its caller, and two clients sharing one download.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { EventType, PullProgress_State } from "../../src/client/types.js";
import { PullPolicy } from "../../src/gen/berth/v1/types_pb.js";
import { Remote } from "../../src/remote/remote.js";
import { readEvents } from "../durability/events.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";
import { freePort, PASSWORD, startRegistry, USER, type TestRegistry } from "./registry-process.js";
import { failure, scratch, type Scratch } from "./registry-fixtures.js";
import { buildTestImage, type TestImage } from "./test-image.js";

let daemon: TestDaemon;
let local: Client;
let grpc: Client;
let plain: TestRegistry;
let basic: TestRegistry;
let fake: FakeRegistry;
let image: TestImage;
let other: TestImage;
let third: TestImage;
let files: Scratch;

const records = async () => JSON.parse(await readFile(join(daemon.stateDir, "images", "records.json"), "utf8").catch(() => "{}")) as { tags?: Record<string, string> };

beforeAll(async () => {
  files = await scratch("clients-layouts");
  image = await buildTestImage(join(files.dir, "one"), "clients-one");
  other = await buildTestImage(join(files.dir, "two"), "clients-two");
  third = await buildTestImage(join(files.dir, "three"), "clients-three");
  [plain, basic, fake] = await Promise.all([startRegistry("plain"), startRegistry("htpasswd"), startFakeRegistry(other.layout)]);
  await plain.push(image.layout, "test/busybox");
  await basic.push(image.layout, "private/busybox");
  daemon = await startTestDaemon("pull");
  local = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  grpc = await (await Remote.connect({ socketPath: daemon.socketPath })).client(undefined, { namespace: daemon.namespace });
}, 120_000);

afterAll(async () => {
  await local?.close();
  await grpc?.close();
  await daemon?.stop();
  await Promise.all([plain?.stop(), basic?.stop(), fake?.close()]);
  await files?.remove();
});

describe.each([
  ["LocalClient", () => local],
  ["GrpcClient", () => grpc],
])("%s", { timeout: 60_000 }, (name, clientOf) => {
  it("pulls an image into the daemon's store, streaming each layer's progress, the image last, and announces it (IMAGE_PULL)", async () => {
    const tag = name.toLowerCase();
    await plain.push(image.layout, "test/busybox", { tag });
    const since = (await readEvents(clientOf(), 0n, 200)).at(-1)?.sequence ?? 0n;
    const progress: Array<[string, PullProgress_State, bigint, bigint]> = [];
    const pulled = await clientOf().pull(`${plain.host}/test/busybox:${tag}`, { onProgress: (p) => progress.push([p.digest, p.state, p.doneBytes, p.totalBytes]) });
    expect(pulled).toMatchObject({
      reference: `${plain.host}/test/busybox:${tag}`,
      digest: image.manifest.digest,
      configDigest: image.config.digest,
      layerDigests: image.layers.map((l) => l.digest),
      platform: "linux/amd64",
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    });
    expect(Number(pulled.size)).toBe(image.manifest.size + image.config.size + image.layers.reduce((n, l) => n + l.size, 0));
    expect((await records()).tags?.[`${plain.host}/test/busybox:${tag}`]).toBe(image.manifest.digest);
    for (const layer of image.layers) {
      const mine = progress.filter(([d]) => d === layer.digest);
      expect(mine[0]).toEqual([layer.digest, PullProgress_State.WAITING, 0n, BigInt(layer.size)]);
      expect(mine.at(-1)?.[1]).toBeOneOf([PullProgress_State.DONE, PullProgress_State.EXISTS]);
      expect(mine.at(-1)?.[2]).toBe(BigInt(layer.size));
    }
    // The event names the reference and the image's id, and no container.
    const pulls = (await readEvents(clientOf(), since, 200)).filter((e) => e.type === EventType.IMAGE_PULL);
    expect(pulls.map((e) => [e.image, e.imageId, e.containerId])).toEqual([[`${plain.host}/test/busybox:${tag}`, image.config.digest, ""]]);
  });

  it("a pull that moves a tag (Pull, or Create with pull policy always) announces IMAGE_UNTAG for the image it left, which is dangling", async () => {
    const client = clientOf();
    const ref = `${plain.host}/test/moving-${name.toLowerCase()}:1`;
    const repo = `test/moving-${name.toLowerCase()}`;
    await plain.push(image.layout, repo, { tag: "1" });
    const since = (await readEvents(client, 0n, 200)).at(-1)?.sequence ?? 0n;
    await client.pull(ref);
    await plain.push(third.layout, repo, { tag: "1" });
    expect((await client.pull(ref)).configDigest).toBe(third.config.digest);
    expect((await client.inspectImage(image.config.digest)).repoTags).not.toContain(ref);
    // The engine's pull (a Create) moves it back the same way.
    await plain.push(image.layout, repo, { tag: "1" });
    const id = daemon.id("moved-back");
    await client.create(id, { image: ref, pullPolicy: PullPolicy.ALWAYS, process: { args: ["true"] } });
    await client.wait(id);
    await client.delete(id);
    const seen = (await readEvents(client, since, 300)).filter((e) => e.image === ref && (e.type === EventType.IMAGE_PULL || e.type === EventType.IMAGE_UNTAG));
    expect(seen.map((e) => [e.type, e.imageId])).toEqual([
      [EventType.IMAGE_PULL, image.config.digest],
      [EventType.IMAGE_UNTAG, image.config.digest],
      [EventType.IMAGE_PULL, third.config.digest],
      [EventType.IMAGE_UNTAG, third.config.digest],
      [EventType.IMAGE_PULL, image.config.digest],
    ]);
    // Named by nothing else, the image the tag left is dangling.
    expect((await client.listImages({ dangling: true })).map((i) => i.id)).toContain(third.config.digest);
    await client.removeImage(third.config.digest);
  });

  it("logs in only with credentials the registry accepts, keeps them in a 0600 file and nowhere else, and logs out", async () => {
    const client = clientOf();
    const refused = await failure(client.login(basic.host, { username: USER, password: "not-the-password" }));
    expect([refused.code, refused.message]).toEqual(["unauthenticated", expect.stringContaining(`refused the credentials of user "${USER}"`)]);
    expect(refused.message).not.toContain("not-the-password");
    expect(await failure(client.pull(`${basic.host}/private/busybox`))).toMatchObject({ code: "unauthenticated" });
    expect(await client.login(`https://${basic.host}/v2/`, { username: USER, password: PASSWORD })).toEqual({ server: basic.host });
    const file = join(daemon.stateDir, "registry-auth.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await client.pull(`${basic.host}/private/busybox`)).digest).toBe(image.manifest.digest);
    // The password is in the credentials file and in no other file of the
    // state directory (event journal, records, logs).
    const leaks: string[] = [];
    for (const entry of (await readdir(daemon.stateDir, { recursive: true })) as string[]) {
      const path = join(daemon.stateDir, entry);
      if (path === file || !(await stat(path)).isFile() || (await stat(path)).size > 1 << 20) continue;
      if ((await readFile(path)).includes(PASSWORD)) leaks.push(entry);
    }
    expect(leaks).toEqual([]);
    expect(await client.logout(basic.host)).toEqual({ removed: true });
    expect(await client.logout(basic.host)).toEqual({ removed: false });
    expect(await readFile(file, "utf8")).not.toContain(PASSWORD);
  });

  it("answers each refusal with its own status: NOT_FOUND, UNAVAILABLE, INVALID_ARGUMENT", async () => {
    const client = clientOf();
    const missing = await failure(client.pull(`${plain.host}/test/none:v9`));
    expect([missing.code, missing.message]).toEqual(["not_found", expect.stringMatching(new RegExp(`^registry ${plain.host} says manifest v9 of test/none is not there`))]);
    const host = `127.0.0.1:${await freePort()}`;
    const down = await failure(client.pull(`${host}/x/y`));
    expect([down.code, down.message]).toEqual(["unavailable", expect.stringContaining(`cannot reach registry ${host}`)]);
    const bad = await failure(client.pull("Not A Reference"));
    expect([bad.code, bad.message]).toEqual(["invalid_argument", expect.stringContaining("a reference looks like busybox")]);
    const badServer = await failure(client.login("not a host", { username: USER, password: PASSWORD }));
    expect(badServer.code).toBe("invalid_argument");
    const noUser = await failure(client.login(basic.host, { username: "", password: PASSWORD }));
    expect([noUser.code, noUser.message]).toEqual(["invalid_argument", "login needs a username"]);
  });

  it("is cancelled by its caller's signal: CANCELLED, and no image", async () => {
    const layer = other.layers[2]!;
    fake.stall.add(layer.digest);
    const controller = new AbortController();
    const pulling = clientOf().pull(`${fake.host}/cancel/${name.toLowerCase()}`, { signal: controller.signal });
    await fake.stalled(layer.digest);
    controller.abort();
    expect((await failure(pulling)).code).toBe("canceled");
    fake.release();
    expect(Object.keys((await records()).tags ?? {}).filter((t) => t.includes("/cancel/"))).toEqual([]);
    await until(async () => (await readdir(join(daemon.stateDir, "images", "ingest"))).length === 0, "the ingest folder to be empty");
  });
});

describe("two clients", { timeout: 60_000 }, () => {
  it("pulling the same image at once share one download of each blob", async () => {
    const shared = await buildTestImage(join(files.dir, "shared"), "clients-shared");
    const server = await startFakeRegistry(shared.layout);
    try {
      const layer = shared.layers[2]!;
      server.stall.add(layer.digest);
      const a = local.pull(`${server.host}/shared/busybox`);
      await server.stalled(layer.digest);
      // b hears bytes of the held layer only once it is in a download: its
      // own (which the registry would count) or a's.
      let joined = false;
      const b = grpc.pull(`${server.host}/shared/busybox`, {
        onProgress: (p) => (joined ||= p.digest === layer.digest && p.state === PullProgress_State.DOWNLOADING && p.doneBytes > 0n),
      });
      await until(() => joined, "the second pull to be downloading the held layer");
      server.release();
      expect((await Promise.all([a, b])).map((p) => p.digest)).toEqual([shared.manifest.digest, shared.manifest.digest]);
      // The base layers may be in the store from earlier tests (then no
      // request at all); the image's own blobs were fetched exactly once.
      for (const blob of [shared.config, layer]) expect([blob.digest, server.blobRequests.get(blob.digest)]).toEqual([blob.digest, 1]);
      for (const blob of shared.layers) expect(server.blobRequests.get(blob.digest) ?? 0).toBeLessThanOrEqual(1);
    } finally {
      await server.close();
    }
  });
});
