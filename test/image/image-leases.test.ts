// What Load and Save do alongside prune and remove, through both clients
// against real runc: a Save holds its blobs (a lease) while it streams, so
// Prune -a or a forced Remove during a slow Save untag and delete the image
// but the archive still loads back whole, and the blobs go once the Save
// ends; a Load that moves a tag announces IMAGE_UNTAG for the image the tag
// left, which is dangling and pruned; a Load past the daemon's
// maxImageArchiveBytes, as sent or as decompressed, is RESOURCE_EXHAUSTED
// naming the limit, and nothing of it stays in the store.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { EventType } from "../../src/client/types.js";
import { Remote } from "../../src/remote/remote.js";
import { baseLayers, busyboxImage, chunksOf, ociArchive } from "../fixtures/busybox-images.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { buildImage, buildLayer, type BuiltImage } from "../fixtures/oci-image.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { eventsUntil } from "./image-contract.js";

const REPO = "registry.example.test/leases";
const LIMIT = 3 * 1024 * 1024;

let daemon: TestDaemon;
let limited: TestDaemon;
const clients: Record<string, Client> = {};
const limitedClients: Record<string, Client> = {};

beforeAll(async () => {
  daemon = await startTestDaemon("image-leases");
  limited = await startTestDaemon("image-limit", { maxImageArchiveBytes: LIMIT });
  for (const [d, into] of [
    [daemon, clients],
    [limited, limitedClients],
  ] as const) {
    into["LocalClient"] = await d.remote.client(undefined, { namespace: d.namespace });
    into["GrpcClient"] = await (await Remote.connect({ socketPath: d.socketPath })).client(undefined, { namespace: d.namespace });
  }
}, 60_000);

afterAll(async () => {
  for (const c of Object.values(clients)) for (const x of await c.list().catch(() => [])) await c.delete(x.id, { force: true }).catch(() => {});
  for (const c of [...Object.values(clients), ...Object.values(limitedClients)]) await c.close();
  await daemon?.stop();
  await limited?.stop();
}, 60_000);

const blobPath = (d: TestDaemon, digest: string) => join(d.stateDir, "images", "blobs", "sha256", digest.slice(7));
const blobs = async (d: TestDaemon) => (await readdir(join(d.stateDir, "images", "blobs", "sha256"))).sort();

// bigImage has random (incompressible) layers below and above the base,
// so a Save of it streams for many chunks.
async function bigImage(unique: string): Promise<BuiltImage> {
  const noise = (name: string) => buildLayer([{ name: "noise/" }, { name: `noise/${name}`, content: randomBytes(4 * 1024 * 1024) }]);
  const top = await buildLayer([{ name: "data/" }, { name: "data/unique", content: `${unique}\n` }]);
  return buildImage([await noise("low"), ...(await baseLayers()), await noise("high"), top], { Env: ["PATH=/bin"], Cmd: ["sh"] });
}

async function output(client: Client, id: string): Promise<string> {
  await client.wait(id);
  let out = "";
  for await (const line of client.logs(id)) out += `${Buffer.from(line.line).toString()}\n`;
  return out;
}

describe.each(["LocalClient", "GrpcClient"])("through %s", (kind) => {
  const lower = kind.toLowerCase();

  it.each([
    ["Prune -a", (c: Client) => c.pruneImages({ all: true })],
    ["a forced Remove", (c: Client) => c.removeImage(`${REPO}/${lower}-save:1`, { force: true })],
  ])("%s during a slow Save deletes the image, yet the archive loads back whole; its blobs go when the Save ends", { timeout: 120_000 }, async (_label, remove) => {
    const client = clients[kind]!;
    const name = `${REPO}/${lower}-save:1`;
    const image = await bigImage(`${lower}-save`);
    await client.loadImages(chunksOf(await ociArchive([{ image, name }])));
    const reader = client.saveImages([name])[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    const first = await reader.next();
    expect(first.done).toBe(false);
    chunks.push(Buffer.from(first.value!));
    // The reader pauses here while the image goes.
    const removed = await remove(client);
    expect(removed.deleted).toContain(image.configDigest);
    expect(await codeOf(client.inspectImage(name))).toBe("not_found");
    for (const l of image.layers) expect(existsSync(blobPath(daemon, l.digest))).toBe(true);
    for (let r = await reader.next(); !r.done; r = await reader.next()) chunks.push(Buffer.from(r.value));
    const archive = Buffer.concat(chunks);
    // Released with the Save's end, the blobs of no image go.
    await until(() => !existsSync(blobPath(daemon, image.layers.at(-1)!.digest)), "the saved image's blobs to be collected after the Save", 10_000);

    const again = await client.loadImages(chunksOf(archive));
    expect(again.map((i) => [i.id, i.manifestDigest, i.repoTags])).toEqual([[image.configDigest, image.manifestDigest, [name]]]);
    const id = daemon.id(`${lower}-saved`);
    await client.create(id, { image: name, process: { args: ["sh", "-c", "cat /data/unique; test -s /noise/low && test -s /noise/high && echo noise"] } });
    expect(await output(client, id)).toBe(`${lower}-save\nnoise\n`);
    await client.delete(id);
    await client.removeImage(name);
  });

  it("a Load that moves a tag announces IMAGE_UNTAG for the image it left, which is dangling and pruned", { timeout: 120_000 }, async () => {
    const client = clients[kind]!;
    const name = `${REPO}/${lower}-moving:1`;
    const old = await busyboxImage(`${lower}-old`);
    const current = await busyboxImage(`${lower}-new`);
    await client.loadImages(chunksOf(await ociArchive([{ image: old, name }])));
    await client.loadImages(chunksOf(await ociArchive([{ image: current, name }])));
    const types = [EventType.IMAGE_LOAD, EventType.IMAGE_UNTAG];
    const seen = await eventsUntil(client, types, (e) => e.type === EventType.IMAGE_LOAD && e.imageId === current.configDigest);
    const mine = seen.filter((e) => e.image === name).map((e) => [e.type, e.imageId]);
    expect(mine).toEqual([
      [EventType.IMAGE_LOAD, old.configDigest],
      [EventType.IMAGE_UNTAG, old.configDigest],
      [EventType.IMAGE_LOAD, current.configDigest],
    ]);
    const dangling = await client.listImages({ dangling: true });
    expect(dangling.find((i) => i.id === old.configDigest)?.repoTags).toEqual([]);
    expect((await client.inspectImage(name)).id).toBe(current.configDigest);
    // Loading the same image again under its name moves nothing.
    await client.loadImages(chunksOf(await ociArchive([{ image: current, name }])));
    const after = await eventsUntil(client, types, (e) => e.type === EventType.IMAGE_LOAD && e.sequence > seen.at(-1)!.sequence);
    expect(after.filter((e) => e.sequence > seen.at(-1)!.sequence).map((e) => e.type)).toEqual([EventType.IMAGE_LOAD]);
    expect((await client.pruneImages()).deleted).toContain(old.configDigest);
    expect(await codeOf(client.inspectImage(old.configDigest))).toBe("not_found");
    await client.removeImage(name);
  });

  it("a Load larger than maxImageArchiveBytes, as sent or as decompressed, is RESOURCE_EXHAUSTED naming the limit, and keeps nothing", { timeout: 120_000 }, async () => {
    const client = limitedClients[kind]!;
    const fits = await busyboxImage(`${lower}-fits`);
    const name = `${REPO}/${lower}-fits:1`;
    await client.loadImages(chunksOf(await ociArchive([{ image: fits, name }])));
    const before = await blobs(limited);
    const images = (await client.listImages()).map((i) => i.id);

    const large = buildImage([...(await baseLayers()), await buildLayer([{ name: "big", content: randomBytes(LIMIT) }])]);
    const zeros = buildImage([await buildLayer([{ name: "zeros", content: Buffer.alloc(2 * LIMIT) }], false)]);
    const bomb = gzipSync(await ociArchive([{ image: zeros, name: `${REPO}/${lower}-bomb:1` }]));
    expect(bomb.length).toBeLessThan(LIMIT);
    for (const archive of [await ociArchive([{ image: large, name: `${REPO}/${lower}-large:1` }]), bomb]) {
      const err = client.loadImages(chunksOf(archive));
      expect(await codeOf(err)).toBe("resource_exhausted");
      expect(await messageOf(client.loadImages(chunksOf(archive)))).toMatch(new RegExp(`limit of ${LIMIT} bytes \\(maxImageArchiveBytes`));
      expect((await client.listImages()).map((i) => i.id)).toEqual(images);
      expect(await blobs(limited)).toEqual(before);
      expect(await readdir(join(limited.stateDir, "images", "ingest"))).toEqual([]);
    }
    await client.removeImage(name);
  });
});
