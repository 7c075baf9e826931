// A hostile container against CopyTo and CopyFrom: it plants links that
// lead out of its root if the host followed them (/evil -> /, /evil2 ->
// /proc/self/root, /evil3 -> ../../../../.., /evilhost -> a host folder),
// and swaps a folder for a link to / as fast as it can, while a client
// copies through them; archives carry "..", absolute and escaping hard
// links. Whatever the answer (INVALID_ARGUMENT, NOT_FOUND, or success
// inside the container), no host file is read or changed: the test checks
// the host's files before and after, for a running and a stopped container,
// through both clients.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tar from "tar-stream";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { hashFile, run, tarExtract } from "./copy-fixtures.js";

const CANARY = `berth-escape-${process.pid}`;
const HOST_FILES = ["/etc/passwd", "/etc/shadow", "/etc/hostname"];

let daemon: TestDaemon;
let host: string;
let before: Record<string, string>;
const clients: Record<string, Client> = {};

beforeAll(async () => {
  daemon = await startTestDaemon("copy-escape");
  host = await mkdtemp(join(tmpdir(), "berth-escape-host-"));
  await writeFile(join(host, "secret"), "host-secret\n");
  clients["LocalClient"] = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  clients["GrpcClient"] = await (await Remote.connect({ socketPath: daemon.socketPath })).client(undefined, { namespace: daemon.namespace });
  before = await hostState();
}, 60_000);

afterAll(async () => {
  await rm(host, { recursive: true, force: true });
  await daemon.stop();
});

async function hostState(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of [...HOST_FILES, join(host, "secret")]) out[f] = existsSync(f) ? await hashFile(f) : "absent";
  return out;
}

// hostUntouched: the host's files are as they were, and no copied name
// appeared anywhere on the host a followed link would have put it.
async function expectHostUntouched(): Promise<void> {
  expect(await hostState()).toEqual(before);
  for (const dir of ["/", "/etc", "/tmp", host, daemon.stateDir]) expect(existsSync(join(dir, CANARY)), `${dir}/${CANARY} on the host`).toBe(false);
}

function archive(entries: Array<tar.Headers & { body?: string }>): AsyncIterable<Uint8Array> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry(header, body ?? "");
  pack.finalize();
  return pack as unknown as AsyncIterable<Uint8Array>;
}

async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (err: { code?: string }) => err.code ?? "thrown",
  );
}

async function readAll(tarStream: AsyncIterable<Uint8Array>): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(host, "out-"));
  await tarExtract(dir, tarStream);
  const out: Record<string, string> = {};
  for (const f of ["shadow", "secret", "passwd"]) if (existsSync(join(dir, f))) out[f] = await readFile(join(dir, f), "utf8");
  return out;
}

const PLANT = [
  "ln -s / /evil",
  "ln -s /proc/self/root /evil2",
  "ln -s ../../../../../../.. /evil3",
  `ln -s ${"HOST"} /evilhost`,
  "echo container-shadow > /etc/shadow",
  "touch /ready",
].join("; ");

describe.each(["LocalClient", "GrpcClient"])("a hostile container, through %s", (which) => {
  let client: Client;
  let cid: string;

  beforeAll(async () => {
    client = clients[which]!;
    cid = daemon.id("evil");
    await client.create(cid, { process: { args: ["sh", "-c", `${PLANT.replace("HOST", host)}; sleep 300`] } });
    await run(client, cid, ["sh", "-c", "until test -e /ready; do sleep 0.05; done"]);
  }, 60_000);

  afterAll(async () => {
    await client.delete(cid, { force: true });
  });

  // Each case starts on a running container, whatever the last one left.
  beforeEach(async () => {
    await client.start(cid);
  });

  for (const state of ["running", "stopped"] as const) {
    it(`${state}: writes through planted links land inside the container or are refused`, { timeout: 60_000 }, async () => {
      if (state === "stopped") await client.stop(cid, { timeoutSeconds: 0 });
      const file = { path: CANARY, content: "from the client\n" };
      const answers: Record<string, string> = {};
      for (const dest of ["/evil/etc/", "/evil2/etc", "/evil3/tmp", "/evilhost", "/evil/../../../etc", `${daemon.stateDir}`]) {
        answers[dest] = await outcome(client.copyTo(cid, dest, file));
      }
      expect(answers).toEqual({
        "/evil/etc/": "ok",
        "/evil2/etc": "invalid_argument",
        "/evil3/tmp": "ok",
        "/evilhost": "not_found",
        "/evil/../../../etc": "ok",
        [daemon.stateDir]: "not_found",
      });
      await expectHostUntouched();
      if (state === "stopped") await client.start(cid);
      const inside = await run(client, cid, ["sh", "-c", `cat /etc/${CANARY} /tmp/${CANARY}`]);
      expect(inside.out).toBe("from the client\nfrom the client\n");
    });

    it(`${state}: reads through planted links read the container's files only`, { timeout: 60_000 }, async () => {
      if (state === "stopped") await client.stop(cid, { timeoutSeconds: 0 });
      expect(await readAll((await client.copyFrom(cid, "/evil/etc/shadow")).tar)).toEqual({ shadow: "container-shadow\n" });
      expect(await readAll((await client.copyFrom(cid, "/evil3/etc/shadow")).tar)).toEqual({ shadow: "container-shadow\n" });
      expect(await outcome(client.copyFrom(cid, "/evil2/etc/shadow"))).toBe("invalid_argument");
      expect(await outcome(client.copyFrom(cid, "/evilhost/secret"))).toBe("not_found");
      // The link itself, not what it names.
      const link = await client.copyFrom(cid, "/evilhost");
      expect(link.stat.linkTarget).toBe(host);
      expect(await readAll(link.tar)).toEqual({});
      await expectHostUntouched();
      if (state === "stopped") await client.start(cid);
    });

    it(`${state}: archives with "..", escaping links and hard links change nothing outside`, { timeout: 60_000 }, async () => {
      if (state === "stopped") await client.stop(cid, { timeoutSeconds: 0 });
      expect(await outcome(client.copyTo(cid, "/tmp", archive([{ name: `../../${CANARY}`, body: "x" }])))).toBe("invalid_argument");
      expect(await outcome(client.copyTo(cid, "/tmp", archive([{ name: "h", type: "link", linkname: "../../../etc/shadow" }])))).toBe("invalid_argument");
      // Absolute: taken relative to dest_dir, as tar does, where nothing is.
      expect(["invalid_argument", "not_found"]).toContain(await outcome(client.copyTo(cid, "/tmp", archive([{ name: "h", type: "link", linkname: `${host}/secret` }]))));
      // A link the archive makes, then a file written through it: inside.
      const through = archive([
        { name: "up", type: "symlink", linkname: "/" },
        { name: `up/etc/${CANARY}-2`, body: "through a link\n" },
      ]);
      expect(await outcome(client.copyTo(cid, "/tmp", through))).toBe("ok");
      await expectHostUntouched();
      expect(existsSync(`/etc/${CANARY}-2`)).toBe(false);
      if (state === "stopped") await client.start(cid);
      expect((await run(client, cid, ["cat", `/etc/${CANARY}-2`])).out).toBe("through a link\n");
    });
  }

  it("running: a folder swapped for a link to / mid-copy never takes a write out", { timeout: 90_000 }, async () => {
    const swapper = "swap";
    await client.addProcess(cid, swapper, { args: ["sh", "-c", "while :; do rm -rf /race; mkdir -p /race/tmp; rm -rf /race; ln -s / /race; done"] });
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      seen.add(await outcome(client.copyTo(cid, "/race/tmp", archive([{ name: `d/${CANARY}`, body: "race\n" }]))));
      seen.add(await outcome(client.copyFrom(cid, "/race/tmp").then((r) => readAll(r.tar))));
    }
    await client.signalProcess(cid, swapper, "KILL");
    await expectHostUntouched();
    expect([...seen].every((s) => ["ok", "not_found", "invalid_argument", "failed_precondition"].includes(s)), [...seen].join(",")).toBe(true);
  });
});
