// Create naming an image that only a registry has (Debian's docker-registry
// on 127.0.0.1), through both clients against real runc, beside
// test/image/create-pulls.test.ts: missing (the default) pulls exactly once
// and then uses the store; always follows a tag that moved in the registry,
// which the store's copy hides otherwise; never pulls nothing, and runs
// what Pull brought. Each pull is one IMAGE_PULL event with the reference
// and the image's id, and one store holds it all: what a Create pulled,
// Pull finds there, every layer.
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { EventType, PullProgress_State } from "../../src/client/types.js";
import { PullPolicy } from "../../src/gen/berth/v1/types_pb.js";
import { Remote } from "../../src/remote/remote.js";
import { readEvents } from "../durability/events.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { failure, scratch, type Scratch } from "./registry-fixtures.js";
import { startRegistry, type TestRegistry } from "./registry-process.js";
import { buildTestImage, type TestImage } from "./test-image.js";

let daemon: TestDaemon;
let local: Client;
let grpc: Client;
let registry: TestRegistry;
let one: TestImage;
let two: TestImage;
let files: Scratch;

beforeAll(async () => {
  files = await scratch("create-pull-layouts");
  one = await buildTestImage(join(files.dir, "one"), "create-pull-one");
  two = await buildTestImage(join(files.dir, "two"), "create-pull-two");
  registry = await startRegistry("plain");
  daemon = await startTestDaemon("createpull");
  local = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  grpc = await (await Remote.connect({ socketPath: daemon.socketPath })).client(undefined, { namespace: daemon.namespace });
}, 120_000);

afterAll(async () => {
  await local?.close();
  await grpc?.close();
  await daemon?.stop();
  await registry?.stop();
  await files?.remove();
});

describe.each([
  ["LocalClient", () => local],
  ["GrpcClient", () => grpc],
])("Create by reference through %s", { timeout: 90_000 }, (name, clientOf) => {
  const made: string[] = [];
  const repo = `${name.toLowerCase()}/app`;
  const ref = (tag: string) => `${registry.host}/${repo}:${tag}`;

  afterAll(async () => {
    for (const id of made) await clientOf().delete(id, { force: true }).catch(() => {});
  });

  // run creates a container from reference, waits for its end and returns
  // its output (the test images' command prints /data/unique).
  async function run(reference: string, pullPolicy?: PullPolicy): Promise<string> {
    const client = clientOf();
    const id = daemon.id("run");
    made.push(id);
    await client.create(id, { image: reference, ...(pullPolicy !== undefined && { pullPolicy }) });
    expect((await client.wait(id)).exitCode).toBe(0);
    let out = "";
    for await (const line of client.logs(id)) out += Buffer.from(line.line).toString();
    await client.delete(id);
    return out.trim();
  }

  // pullsSince lists the IMAGE_PULL events after sequence since.
  async function pullsSince(since: bigint): Promise<Array<[string, string]>> {
    const events = await readEvents(clientOf(), since, 300);
    return events.filter((e) => e.type === EventType.IMAGE_PULL).map((e) => [e.image, e.imageId]);
  }
  const lastSequence = async () => (await readEvents(clientOf(), 0n, 300)).at(-1)?.sequence ?? 0n;

  it("missing (the default): pulls an image only the registry has, once; then runs it from the store", async () => {
    await registry.push(one.layout, repo, { tag: "missing" });
    const since = await lastSequence();
    expect(await run(ref("missing"))).toBe("create-pull-one");
    expect(await run(ref("missing"), PullPolicy.MISSING)).toBe("create-pull-one");
    expect(await pullsSince(since)).toEqual([[ref("missing"), one.config.digest]]);
    // Pull sees the image the Create pulled: every layer is there already.
    const states: PullProgress_State[] = [];
    await clientOf().pull(ref("missing"), { onProgress: (p) => states.push(p.state) });
    expect(states.filter((s) => s !== PullProgress_State.WAITING)).toEqual(one.layers.map(() => PullProgress_State.EXISTS));
  });

  it("always: pulls again, and runs what the tag points at now", async () => {
    await registry.push(one.layout, repo, { tag: "always" });
    expect(await run(ref("always"))).toBe("create-pull-one");
    await registry.push(two.layout, repo, { tag: "always" });
    const since = await lastSequence();
    // The store's copy still wins without always.
    expect(await run(ref("always"))).toBe("create-pull-one");
    expect(await run(ref("always"), PullPolicy.ALWAYS)).toBe("create-pull-two");
    expect(await pullsSince(since)).toEqual([[ref("always"), two.config.digest]]);
  });

  it("never: refuses an image the store lacks with NOT_FOUND, pulling nothing, and runs one it has", async () => {
    await registry.push(one.layout, repo, { tag: "never" });
    const since = await lastSequence();
    const refused = await failure(clientOf().create(daemon.id("never"), { image: ref("never"), pullPolicy: PullPolicy.NEVER }));
    expect([refused.code, refused.message]).toEqual(["not_found", expect.stringContaining("pull policy is never")]);
    expect(await pullsSince(since)).toEqual([]);
    await clientOf().pull(ref("never"));
    expect(await run(ref("never"), PullPolicy.NEVER)).toBe("create-pull-one");
  });
});
