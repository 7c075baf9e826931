// Create with an image reference the store lacks pulls it from its
// registry (a real docker-registry on 127.0.0.1) through the engine's
// puller seam, as the pull policy allows, through both clients: missing
// pulls once, never refuses with NOT_FOUND saying the store has none,
// always pulls again; the image's config applies and an IMAGE_PULL event
// names it.
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { EventType, type Event } from "../../src/client/types.js";
import { PullPolicy } from "../../src/gen/berth/v1/types_pb.js";
import { Remote } from "../../src/remote/remote.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { startRegistry, type TestRegistry } from "../registry/registry-process.js";
import { scratch, type Scratch } from "../registry/registry-fixtures.js";
import { buildTestImage } from "../registry/test-image.js";

let daemon: TestDaemon;
let registry: TestRegistry;
let files: Scratch;
const clients: Record<string, Client> = {};

beforeAll(async () => {
  files = await scratch("create-pulls");
  const image = await buildTestImage(join(files.dir, "layout"), "create-pulls");
  registry = await startRegistry("plain");
  await registry.push(image.layout, "pulled/local");
  await registry.push(image.layout, "pulled/grpc");
  daemon = await startTestDaemon("create-pulls");
  clients["LocalClient"] = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  clients["GrpcClient"] = await (await Remote.connect({ socketPath: daemon.socketPath })).client(undefined, { namespace: daemon.namespace });
}, 120_000);

afterAll(async () => {
  // A failed test may leave its container: none may leak.
  const local = clients["LocalClient"];
  for (const c of (await local?.list()) ?? []) await local?.delete(c.id, { force: true });
  for (const c of Object.values(clients)) await c.close();
  await daemon?.stop();
  await registry?.stop();
  await files?.remove();
});

async function output(client: Client, id: string): Promise<string> {
  await client.wait(id);
  let out = "";
  for await (const line of client.logs(id)) out += `${Buffer.from(line.line).toString()}\n`;
  return out;
}

async function pullEvents(client: Client, image: string, count: number): Promise<Event[]> {
  const seen: Event[] = [];
  const abort = new AbortController();
  for await (const e of client.subscribe({ sinceSequence: 0n, types: [EventType.IMAGE_PULL], signal: abort.signal })) {
    if (e.image === image) seen.push(e);
    if (seen.length === count) abort.abort();
  }
  return seen;
}

describe.each(["LocalClient", "GrpcClient"])("Create by reference through %s", (name) => {
  const repo = name === "LocalClient" ? "pulled/local" : "pulled/grpc";

  it("pulls a missing image as the policy allows, runs it with its config, and announces the pull", { timeout: 120_000 }, async () => {
    const client = clients[name]!;
    const ref = `${registry.host}/${repo}:latest`;
    const never = client.create(daemon.id("never"), { image: ref, pullPolicy: PullPolicy.NEVER });
    expect(await codeOf(never)).toBe("not_found");
    expect(await messageOf(client.create(daemon.id("never"), { image: ref, pullPolicy: PullPolicy.NEVER }))).toMatch(/image store has no image .*pull policy is never/);
    expect(await codeOf(client.inspectImage(ref))).toBe("not_found");

    const first = daemon.id("missing");
    const c = await client.create(first, { image: ref });
    expect(c.image).toBe(ref);
    // The image's cmd, env and working dir (test/registry/test-image.ts).
    expect(await output(client, first)).toBe("create-pulls\n");
    const image = await client.inspectImage(ref);
    expect(c.imageId).toBe(image.id);
    expect(image.repoDigests.filter((d) => d.startsWith(`${registry.host}/${repo}@sha256:`))).toHaveLength(1);
    await client.delete(first);
    expect(await pullEvents(client, ref, 1)).toMatchObject([{ type: EventType.IMAGE_PULL, image: ref, imageId: image.id, containerId: "" }]);

    // Present now: missing does not pull again; always does.
    const second = daemon.id("present");
    await client.create(second, { image: ref, process: { args: ["sh", "-c", "echo $GREETING; pwd"] } });
    expect(await output(client, second)).toBe("hello\n/data\n");
    await client.delete(second);
    const third = daemon.id("always");
    await client.create(third, { image: ref, pullPolicy: PullPolicy.ALWAYS, process: { args: ["true"] } });
    await client.wait(third);
    await client.delete(third);
    expect(await pullEvents(client, ref, 2)).toHaveLength(2);
  });

  it("says the registry has no such image when it has none", { timeout: 60_000 }, async () => {
    const client = clients[name]!;
    const missing = client.create(daemon.id("unknown"), { image: `${registry.host}/${repo}:no-such-tag` });
    expect(await codeOf(missing)).toBe("not_found");
    expect(await messageOf(client.create(daemon.id("unknown"), { image: `${registry.host}/${repo}:no-such-tag` }))).toMatch(/registry/i);
  });
});
