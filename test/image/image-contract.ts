// The image contract, run through both clients against real runc: archives
// streamed from the client (docker save and OCI) load with their names and
// run by tag; the image's config applies as Docker combines it and the
// request's fields win; list, inspect, tag, remove (Docker's rules) and
// prune (dangling, or all) behave, layers are shared on disk, image events
// go on the numbered stream, save round-trips, and bad input gets the
// status that says what to fix.
import { readdir } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { EventType, type Event } from "../../src/client/types.js";
import { PullPolicy } from "../../src/gen/berth/v1/types_pb.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { APP_GID, APP_UID, EXTRA_GID, busyboxImage, chunksOf, dockerSaveArchive, ociArchive } from "../fixtures/busybox-images.js";
import { tarOf } from "../fixtures/oci-image.js";
import { chainIds } from "../../src/image/digest.js";
import type { TestDaemon } from "../helpers/test-daemon.js";

export interface ImageSetup {
  daemon: TestDaemon;
  client: Client;
}

const REPO = "registry.example.test/berth";

export function imageContract(name: string, setup: () => Promise<ImageSetup>, teardown: () => Promise<void>): void {
  describe(`images: ${name}`, () => {
    let daemon: TestDaemon;
    let client: Client;
    const made: string[] = [];
    const id = (n: string) => {
      const cid = daemon.id(n);
      made.push(cid);
      return cid;
    };
    let execs = 0;
    const snapshots = async () => new Set(await readdir(join(daemon.stateDir, "images", "snapshots")));

    beforeAll(async () => {
      ({ daemon, client } = await setup());
    }, 60_000);

    afterAll(async () => {
      for (const cid of made) await client.delete(cid, { force: true }).catch(() => {});
      await teardown();
    }, 60_000);

    // output runs a container to its end and returns its exit code and output.
    async function output(cid: string): Promise<{ exitCode: number; out: string }> {
      const exit = await client.wait(cid);
      let out = "";
      for await (const line of client.logs(cid)) out += `${Buffer.from(line.line).toString()}${line.partial ? "" : "\n"}`;
      return { exitCode: exit.exitCode, out };
    }

    async function exec(cid: string, args: string[]): Promise<{ exitCode: number; out: string }> {
      const pid = `image-exec-${++execs}`;
      await client.addProcess(cid, pid, { args });
      const exit = await client.wait(cid, { processId: pid });
      let out = "";
      for await (const line of client.logs(cid, { processId: pid })) out += `${Buffer.from(line.line).toString()}${line.partial ? "" : "\n"}`;
      return { exitCode: exit.exitCode, out };
    }

    it("loads a docker save and an OCI archive streamed from the client, keeps their names, and runs a container from each by tag", { timeout: 120_000 }, async () => {
      const fromOci = await busyboxImage("from-oci");
      const fromSave = await busyboxImage("from-save");
      const loadedOci = await client.loadImages(chunksOf(await ociArchive([{ image: fromOci, name: `${REPO}/oci:v1` }])));
      expect(loadedOci.map((i) => [i.id, i.repoTags])).toEqual([[fromOci.configDigest, [`${REPO}/oci:v1`]]]);
      const loadedSave = await client.loadImages(chunksOf(await dockerSaveArchive([{ image: fromSave, tags: [`${REPO}/save:v1`, "plain:2"] }])));
      expect(loadedSave).toHaveLength(1);
      expect(loadedSave[0]!.id).toBe(fromSave.configDigest);
      expect(loadedSave[0]!.repoTags).toEqual(["docker.io/library/plain:2", `${REPO}/save:v1`]);

      const script = "cat /data/unique; test -e /data/gone && echo gone-is-there; stat -c '%a %u %g' /data/secret; stat -c %h /data/a; readlink /data/link; cat /data/link";
      for (const [ref, unique] of [[`${REPO}/oci:v1`, "from-oci"], ["plain:2", "from-save"]] as const) {
        const cid = id("by-tag");
        const c = await client.create(cid, { image: ref, process: { args: ["sh", "-c", script] } });
        expect(c.image).toBe(ref === "plain:2" ? "docker.io/library/plain:2" : ref);
        expect(c.imageId).toBe(unique === "from-oci" ? fromOci.configDigest : fromSave.configDigest);
        expect(await output(cid)).toEqual({ exitCode: 0, out: `${unique}\n${(0o4710).toString(8)} ${APP_UID} ${EXTRA_GID}\n2\na\nhard-linked\n` });
        await client.delete(cid);
      }
    });

    it("applies the image's entrypoint, cmd, env, working dir, user (by name, from its /etc/passwd) and stop signal; the request's fields win", { timeout: 120_000 }, async () => {
      const report = 'echo "args=$*"; echo "ids=$(id -u) $(id -g) $(id -G)"; echo "cwd=$(pwd)"; echo "greeting=$GREETING path=$PATH"';
      const image = await busyboxImage("config", {
        Entrypoint: ["sh", "-c", report, "entry"],
        Cmd: ["from", "image"],
        Env: ["PATH=/bin", "GREETING=hello"],
        WorkingDir: "/data",
        User: "app",
        StopSignal: "SIGUSR1",
      });
      await client.loadImages(chunksOf(await ociArchive([{ image, name: `${REPO}/config:1` }])));

      const plain = id("config");
      const c = await client.create(plain, { image: `${REPO}/config:1` });
      expect(c.stopSignal).toBe("SIGUSR1");
      expect(await output(plain)).toEqual({ exitCode: 0, out: `args=from image\nids=${APP_UID} ${APP_GID} ${APP_GID} ${EXTRA_GID}\ncwd=/data\ngreeting=hello path=/bin\n` });
      const inspected = await client.inspect(plain);
      expect(inspected.config?.image).toBe(`${REPO}/config:1`);
      expect(inspected.config?.imageId).toBe(image.configDigest);
      await client.delete(plain);

      const overridden = id("config-override");
      const o = await client.create(overridden, {
        image: `${REPO}/config:1`,
        stopSignal: "SIGINT",
        process: { args: ["mine"], env: ["GREETING=bye"], cwd: "/tmp", user: { uid: 0, gid: 0 } },
      });
      expect(o.stopSignal).toBe("SIGINT");
      expect(await output(overridden)).toEqual({ exitCode: 0, out: "args=mine\nids=0 0 0\ncwd=/tmp\ngreeting=bye path=/bin\n" });
      await client.delete(overridden);
    });

    it("lists and inspects images: id, names, digests, created, size, platform, labels, config, containers", { timeout: 60_000 }, async () => {
      const image = await busyboxImage("inspect", { Labels: { team: "berth" }, ExposedPorts: { "80/tcp": {} }, Cmd: ["sleep", "300"] }, "2023-05-06T07:08:09Z");
      await client.loadImages(chunksOf(await ociArchive([{ image, name: `${REPO}/inspect:1` }])));
      const cid = id("inspect");
      await client.create(cid, { image: `${REPO}/inspect:1` });
      const got = await client.inspectImage(`${REPO}/inspect:1`);
      expect(got.id).toBe(image.configDigest);
      expect(got.manifestDigest).toBe(image.manifestDigest);
      expect(got.repoTags).toEqual([`${REPO}/inspect:1`]);
      expect(got.repoDigests).toEqual([]);
      expect(got.created?.seconds).toBe(BigInt(Date.parse("2023-05-06T07:08:09Z") / 1000));
      expect(got.os).toBe("linux");
      expect(got.architecture).not.toBe("");
      expect(got.labels).toEqual({ team: "berth" });
      expect(got.config).toMatchObject({ cmd: ["sleep", "300"], env: ["PATH=/bin"], exposedPorts: ["80/tcp"], entrypoint: [] });
      // busybox alone is about 2 MB unpacked.
      expect(got.size).toBeGreaterThan(1_000_000n);
      expect(got.containers).toBe(1);
      expect(await client.inspectImage(image.configDigest.slice(7, 19))).toMatchObject({ id: image.configDigest });
      const listed = await client.listImages();
      expect(listed.find((i) => i.id === image.configDigest)).toEqual(got);
      await client.delete(cid, { force: true });
      expect((await client.inspectImage(`${REPO}/inspect:1`)).containers).toBe(0);
    });

    it("tags, untags before it deletes, refuses an image in use unless forced, and a container of a force-removed image keeps running", { timeout: 120_000 }, async () => {
      const image = await busyboxImage("remove", { Cmd: ["sleep", "300"] });
      await client.loadImages(chunksOf(await ociArchive([{ image, name: `${REPO}/remove:1` }])));
      const tagged = await client.tagImage(`${REPO}/remove:1`, `${REPO}/remove:2`);
      expect(tagged.repoTags).toEqual([`${REPO}/remove:1`, `${REPO}/remove:2`]);
      const cid = id("in-use");
      await client.create(cid, { image: `${REPO}/remove:2` });

      expect(await client.removeImage(`${REPO}/remove:1`)).toEqual({ untagged: [`${REPO}/remove:1`], deleted: [] });
      const refused = client.removeImage(`${REPO}/remove:2`);
      expect(await codeOf(refused)).toBe("failed_precondition");
      expect(await messageOf(client.removeImage(`${REPO}/remove:2`))).toContain(cid);
      expect(await client.removeImage(`${REPO}/remove:2`, { force: true })).toEqual({ untagged: [`${REPO}/remove:2`], deleted: [image.configDigest] });
      expect((await client.listImages()).map((i) => i.id)).not.toContain(image.configDigest);
      expect(await codeOf(client.inspectImage(image.configDigest))).toBe("not_found");

      // Its layers stay while the container lives.
      expect(await exec(cid, ["cat", "/data/unique"])).toEqual({ exitCode: 0, out: "remove\n" });
      const before = await snapshots();
      await client.delete(cid, { force: true });
      const after = await snapshots();
      expect(after.size).toBe(before.size - 1);
    });

    it("shares the layers of two images on one base on disk", { timeout: 60_000 }, async () => {
      const one = await busyboxImage("share-1");
      const two = await busyboxImage("share-2");
      const chainsOf = (image: typeof one) => chainIds(image.layers.map((l) => l.diffId)).map((c) => c.slice(7));
      await client.loadImages(chunksOf(await ociArchive([{ image: one, name: `${REPO}/share:1` }])));
      const middle = await snapshots();
      for (const chain of chainsOf(one)) expect(middle).toContain(chain);
      await client.loadImages(chunksOf(await ociArchive([{ image: two, name: `${REPO}/share:2` }])));
      const after = await snapshots();
      // The base's two layers are unpacked once; the second image adds only
      // its own top layer.
      expect([...after].filter((s) => !middle.has(s))).toEqual([chainsOf(two)[2]]);
      expect(chainsOf(two).slice(0, 2)).toEqual(chainsOf(one).slice(0, 2));
    });

    it("saves images as an OCI archive that loads back as they were", { timeout: 60_000 }, async () => {
      const image = await busyboxImage("save");
      await client.loadImages(chunksOf(await ociArchive([{ image, name: `${REPO}/save-me:1` }])));
      const chunks: Buffer[] = [];
      for await (const chunk of client.saveImages([`${REPO}/save-me:1`])) chunks.push(Buffer.from(chunk));
      await client.removeImage(`${REPO}/save-me:1`);
      const again = await client.loadImages(chunksOf(Buffer.concat(chunks)));
      expect(again.map((i) => [i.id, i.manifestDigest, i.repoTags])).toEqual([[image.configDigest, image.manifestDigest, [`${REPO}/save-me:1`]]]);
    });

    it("publishes load, tag, untag and delete on the numbered event stream, with filters", { timeout: 60_000 }, async () => {
      const image = await busyboxImage("events");
      await client.loadImages(chunksOf(await ociArchive([{ image, name: `${REPO}/events:1` }])));
      await client.tagImage(`${REPO}/events:1`, `${REPO}/events:2`);
      await client.removeImage(`${REPO}/events:1`);
      await client.removeImage(`${REPO}/events:2`);
      // The image is this test's own, so its events are too.
      const types = [EventType.IMAGE_LOAD, EventType.IMAGE_TAG, EventType.IMAGE_UNTAG, EventType.IMAGE_DELETE];
      const seen = await eventsUntil(client, types, (e) => e.type === EventType.IMAGE_DELETE && e.imageId === image.configDigest);
      const mine = seen.filter((e) => e.imageId === image.configDigest);
      expect(mine.map((e) => [e.type, e.image, e.imageId, e.containerId])).toEqual([
        [EventType.IMAGE_LOAD, `${REPO}/events:1`, image.configDigest, ""],
        [EventType.IMAGE_TAG, `${REPO}/events:2`, image.configDigest, ""],
        [EventType.IMAGE_UNTAG, `${REPO}/events:1`, image.configDigest, ""],
        [EventType.IMAGE_UNTAG, `${REPO}/events:2`, image.configDigest, ""],
        [EventType.IMAGE_DELETE, image.configDigest, image.configDigest, ""],
      ]);
      expect(seen.every((e) => types.includes(e.type))).toBe(true);
      const numbers = mine.map((e) => e.sequence);
      expect([...numbers].sort((x, y) => (x < y ? -1 : 1))).toEqual(numbers);
      expect(new Set(numbers).size).toBe(numbers.length);
      // A filter on one type gets only that type.
      const tags = await eventsUntil(client, [EventType.IMAGE_TAG], (e) => e.image === `${REPO}/events:2`);
      expect(tags.every((e) => e.type === EventType.IMAGE_TAG)).toBe(true);
    });

    it("prunes dangling images, or with all every image no container uses, reporting the bytes reclaimed and keeping layers other images use", { timeout: 120_000 }, async () => {
      const kept = await busyboxImage("prune-kept", { Cmd: ["sleep", "300"] });
      const old = await busyboxImage("prune-old");
      const current = await busyboxImage("prune-new");
      await client.loadImages(chunksOf(await ociArchive([{ image: kept, name: `${REPO}/prune:kept` }])));
      await client.loadImages(chunksOf(await ociArchive([{ image: old, name: `${REPO}/prune:moving` }])));
      // Loading another image under the same name leaves the old one dangling.
      await client.loadImages(chunksOf(await ociArchive([{ image: current, name: `${REPO}/prune:moving` }])));
      expect((await client.listImages({ dangling: true })).map((i) => i.id)).toContain(old.configDigest);
      const cid = id("prune-user");
      await client.create(cid, { image: `${REPO}/prune:kept` });

      const before = await snapshots();
      const dangling = await client.pruneImages();
      expect(dangling.deleted).toContain(old.configDigest);
      expect(dangling.deleted).not.toContain(current.configDigest);
      expect(dangling.reclaimedBytes).toBeGreaterThan(0n);
      expect((await snapshots()).size).toBe(before.size - 1);
      expect(await codeOf(client.inspectImage(old.configDigest))).toBe("not_found");
      expect((await client.inspectImage(`${REPO}/prune:moving`)).id).toBe(current.configDigest);

      const all = await client.pruneImages({ all: true });
      expect(all.deleted).toContain(current.configDigest);
      expect(all.untagged).toContain(`${REPO}/prune:moving`);
      expect(all.deleted).not.toContain(kept.configDigest);
      expect(all.reclaimedBytes).toBeGreaterThan(0n);
      expect((await client.listImages()).map((i) => i.id)).toEqual([kept.configDigest]);
      // The kept image's three layers are all that is left, base included.
      expect((await snapshots()).size).toBe(3);
      expect(await exec(cid, ["cat", "/data/unique", "/data/a"])).toEqual({ exitCode: 0, out: "prune-kept\nhard-linked\n" });
      await client.delete(cid, { force: true });
    });

    it("answers bad input with a status that says what to fix", { timeout: 60_000 }, async () => {
      const missing = client.inspectImage(`${REPO}/no-such:1`);
      expect(await codeOf(missing)).toBe("not_found");
      expect(await messageOf(client.inspectImage(`${REPO}/no-such:1`))).toMatch(/image store has no image/);
      const never = client.create(id("never"), { image: `${REPO}/no-such:1`, pullPolicy: PullPolicy.NEVER });
      expect(await codeOf(never)).toBe("not_found");
      expect(await messageOf(client.create(id("never"), { image: `${REPO}/no-such:1`, pullPolicy: PullPolicy.NEVER }))).toMatch(/image store has no image/);

      for (const call of [() => client.inspectImage("Not A Reference!"), () => client.create(id("bad-ref"), { image: "UPPER/case" }), () => client.tagImage(`${REPO}/share:1`, "bad:tag:x")]) {
        expect(await codeOf(call())).toBe("invalid_argument");
        expect(await messageOf(call())).toMatch(/a reference looks like busybox/);
      }
      expect(await codeOf(client.removeImage(""))).toBe("invalid_argument");

      const notTar = client.loadImages(chunksOf(Buffer.from("this is no archive at all, only words; ".repeat(40))));
      expect(await codeOf(notTar)).toBe("invalid_argument");
      const noImage = await tarOf(new Map([["hello.txt", Buffer.from("hi")]]));
      expect(await messageOf(client.loadImages(chunksOf(noImage)))).toMatch(/no image archive/);
      expect(await codeOf(client.loadImages(chunksOf(noImage)))).toBe("invalid_argument");
      expect(await codeOf(collect(client.saveImages([`${REPO}/no-such:1`])))).toBe("not_found");
      expect(await codeOf(collect(client.saveImages([])))).toBe("invalid_argument");
    });
  });
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of chunks) n += c.length;
  return n;
}

// eventsUntil reads the namespace's events of types from the journal's
// start until one satisfies last.
export async function eventsUntil(client: Client, types: EventType[], last: (e: Event) => boolean): Promise<Event[]> {
  const seen: Event[] = [];
  const abort = new AbortController();
  for await (const e of client.subscribe({ sinceSequence: 0n, types, signal: abort.signal })) {
    seen.push(e);
    if (last(e)) abort.abort();
  }
  return seen;
}
