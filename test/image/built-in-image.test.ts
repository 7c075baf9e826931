// berth.local/busybox:latest named on a store that never made it: a Create
// (whatever its pull policy) and a Pull make the built-in image from
// busybox-static and never ask a host "berth.local"; any other berth.local
// name is NOT_FOUND saying so. Each case has a daemon with a fresh state
// directory of its own, through both clients.
import { afterEach, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { EventType, PullProgress_State } from "../../src/client/types.js";
import { PullPolicy } from "../../src/gen/berth/v1/types_pb.js";
import { Remote } from "../../src/remote/remote.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const BUSYBOX = "berth.local/busybox:latest";

let daemon: TestDaemon | undefined;
let client: Client | undefined;

afterEach(async () => {
  for (const c of (await client?.list()) ?? []) await client?.delete(c.id, { force: true });
  await client?.close();
  await daemon?.stop();
  client = daemon = undefined;
}, 60_000);

async function fresh(suite: string, kind: string): Promise<{ d: TestDaemon; c: Client }> {
  daemon = await startTestDaemon(suite);
  const remote = kind === "LocalClient" ? daemon.remote : await Remote.connect({ socketPath: daemon.socketPath });
  client = await remote.client(undefined, { namespace: daemon.namespace });
  return { d: daemon, c: client };
}

async function output(c: Client, id: string): Promise<string> {
  await c.wait(id);
  let out = "";
  for await (const line of c.logs(id)) out += `${Buffer.from(line.line).toString()}\n`;
  return out;
}

describe.each(["LocalClient", "GrpcClient"])("the built-in image by name through %s", { timeout: 120_000 }, (kind) => {
  it.each([
    ["missing", PullPolicy.MISSING],
    ["never", PullPolicy.NEVER],
    ["always", PullPolicy.ALWAYS],
  ])("a Create naming it on a fresh store (pull policy %s) makes it and runs", async (label, policy) => {
    const { d, c } = await fresh(`builtin-create-${label}`, kind);
    expect(await c.listImages()).toEqual([]);
    const id = d.id("by-name");
    const made = await c.create(id, { image: BUSYBOX, pullPolicy: policy, process: { args: ["sh", "-c", "echo built-in"] } });
    expect(made.image).toBe(BUSYBOX);
    expect(await output(c, id)).toBe("built-in\n");
    const image = await c.inspectImage(BUSYBOX);
    expect(made.imageId).toBe(image.id);
    expect(image.repoTags).toEqual([BUSYBOX]);
    await c.delete(id);
  });

  it("a Pull of it on a fresh store makes it, reports its layers as already there, announces it, and a Create then uses it", async () => {
    const { d, c } = await fresh("builtin-pull", kind);
    const progress: PullProgress_State[] = [];
    const pulled = await c.pull(BUSYBOX, { onProgress: (p) => progress.push(p.state) });
    const image = await c.inspectImage(BUSYBOX);
    expect(pulled).toMatchObject({ reference: BUSYBOX, digest: image.manifestDigest, configDigest: image.id, mediaType: "application/vnd.oci.image.manifest.v1+json", indexDigest: "" });
    expect(pulled.layerDigests).toHaveLength(1);
    expect(pulled.size).toBeGreaterThan(0n);
    expect(progress).toEqual([PullProgress_State.EXISTS]);
    // Pulled again, it is the same image (made once).
    expect((await c.pull("berth.local/busybox")).digest).toBe(pulled.digest);
    expect((await c.listImages()).map((i) => i.id)).toEqual([image.id]);
    const pulls: string[] = [];
    const stop = new AbortController();
    for await (const e of c.subscribe({ sinceSequence: 0n, types: [EventType.IMAGE_PULL], signal: stop.signal })) {
      pulls.push(`${e.image} ${e.imageId}`);
      if (pulls.length === 2) stop.abort();
    }
    expect(pulls).toEqual([`${BUSYBOX} ${image.id}`, `${BUSYBOX} ${image.id}`]);
    const id = d.id("after-pull");
    const made = await c.create(id, { image: BUSYBOX, process: { args: ["true"] } });
    expect(made.imageId).toBe(image.id);
    await c.wait(id);
    await c.delete(id);
  });

  it("any other berth.local name is NOT_FOUND, for Pull and Create alike, saying berth.local is no registry", async () => {
    const { d, c } = await fresh("builtin-other", kind);
    for (const attempt of [() => c.pull("berth.local/other:1"), () => c.create(d.id("other"), { image: "berth.local/busybox:1.36" })]) {
      expect(await codeOf(attempt())).toBe("not_found");
      expect(await messageOf(attempt())).toMatch(/berth\.local is no registry .* berth\.local\/busybox:latest/);
    }
    expect(await c.listImages()).toEqual([]);
    expect(await c.list()).toEqual([]);
  });
});
