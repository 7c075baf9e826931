// The copy contract, run through both clients against real runc: a tree
// with odd modes, owners, a symbolic link, a hard link and a large file
// goes into a container with CopyTo and comes back with CopyFrom byte for
// byte and fact for fact, for a running, a created and a stopped container;
// what a created or stopped container was given is there when it starts.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { PathType } from "../../src/gen/berth/v1/copy_pb.js";
import { Status } from "../../src/client/types.js";
import { codeOf } from "../fixtures/code-of.js";
import type { TestDaemon } from "../helpers/test-daemon.js";
import { describeTree, makeTree, run, tarCreate, tarExtract } from "./copy-fixtures.js";

export interface CopySetup {
  daemon: TestDaemon;
  client: Client;
}

const BIG = 100 * 1024 * 1024;

export function copyContract(name: string, setup: () => Promise<CopySetup>, teardown: () => Promise<void>): void {
  describe(`copy: ${name}`, () => {
    let daemon: TestDaemon;
    let client: Client;
    let host: string;
    let source: string;
    let expected: Awaited<ReturnType<typeof describeTree>>;
    const made: string[] = [];
    const id = (n: string) => {
      const cid = daemon.id(n);
      made.push(cid);
      return cid;
    };

    beforeAll(async () => {
      ({ daemon, client } = await setup());
      host = await mkdtemp(join(tmpdir(), "berth-copy-"));
      source = join(host, "source");
      await import("node:fs/promises").then((fs) => fs.mkdir(source));
      await makeTree(source, BIG);
      expected = await describeTree(source);
    }, 120_000);

    afterAll(async () => {
      for (const cid of made) await client.delete(cid, { force: true }).catch(() => {});
      await rm(host, { recursive: true, force: true });
      await teardown();
    }, 60_000);

    // roundTrip copies the tree in and back out, and compares.
    async function roundTrip(cid: string, into: string): Promise<void> {
      const result = await client.copyTo(cid, into, tarCreate(source, "odd"));
      expect(result.entries).toBe(Object.keys(expected).length);
      expect(result.bytes).toBeGreaterThanOrEqual(BIG);
      const { stat, tar } = await client.copyFrom(cid, `${into}/odd`);
      expect(stat.type).toBe(PathType.DIRECTORY);
      expect(stat.name).toBe("odd");
      expect(stat.mode & 0o7777).toBe(0o755);
      const back = await mkdtemp(join(host, "back-"));
      await tarExtract(back, tar);
      expect(await describeTree(back)).toEqual(expected);
    }

    it("round-trips a tree into a running container, as the container sees it", { timeout: 120_000 }, async () => {
      const cid = id("running");
      await client.create(cid, { process: { args: ["sleep", "300"] } });
      await client.copyTo(cid, "/", { path: "in/.keep", content: "" });
      await roundTrip(cid, "/in");
      const inside = await run(client, cid, ["sh", "-c", "stat -c '%a %u %g %h' /in/odd/run.sh; readlink /in/odd/link; sha256sum /in/odd/big.bin"]);
      expect(inside.exitCode).toBe(0);
      const [modes, target, hash] = inside.out.trim().split("\n");
      expect(modes).toBe("4755 1234 5678 2");
      expect(target).toBe("run.sh");
      expect(hash!.split(" ")[0]).toBe(expected["odd/big.bin"]!.sha256);
    });

    it("round-trips into a created container, and the container finds it when it starts", { timeout: 120_000 }, async () => {
      const cid = id("created");
      await client.create(cid, { start: false, process: { args: ["sh", "-c", "test -u /odd/run.sh && exit 42; exit 1"] } });
      expect((await client.state(cid)).status).toBe(Status.CREATED);
      await roundTrip(cid, "/");
      await client.start(cid);
      expect((await client.wait(cid)).exitCode).toBe(42);
    });

    it("round-trips into a stopped container, and its next run finds it", { timeout: 120_000 }, async () => {
      const cid = id("stopped");
      await client.create(cid, { process: { args: ["sh", "-c", "test -u /tmp/odd/run.sh && exit 42; exit 1"] } });
      expect((await client.wait(cid)).exitCode).toBe(1);
      await roundTrip(cid, "/tmp");
      await client.start(cid);
      expect((await client.wait(cid)).exitCode).toBe(42);
    });

    it("writes one file with its mode and owner, making its folders", { timeout: 60_000 }, async () => {
      const cid = id("one-file");
      await client.create(cid, { process: { args: ["sleep", "300"] } });
      const result = await client.copyTo(cid, "/etc", { path: "app/conf.d/app.conf", content: "key=value\n", mode: 0o640, uid: 7, gid: 8 });
      expect(result).toEqual({ entries: 1, bytes: 10 });
      const inside = await run(client, cid, ["sh", "-c", "stat -c '%a %u %g' /etc/app/conf.d/app.conf; cat /etc/app/conf.d/app.conf"]);
      expect(inside.out).toBe("640 7 8\nkey=value\n");
      const { stat, tar } = await client.copyFrom(cid, "/etc/app/conf.d/app.conf");
      expect(stat).toMatchObject({ name: "app.conf", type: PathType.FILE, size: 10n, uid: 7, gid: 8 });
      const back = await mkdtemp(join(host, "one-"));
      await tarExtract(back, tar);
      expect(await readFile(join(back, "app.conf"), "utf8")).toBe("key=value\n");
    });

    it("gives a symbolic link's stat with its target, and a stat alone when asked", { timeout: 60_000 }, async () => {
      const cid = id("stat");
      await client.create(cid, { process: { args: ["sh", "-c", "ln -s /etc/passwd /pw; sleep 300"] } });
      await run(client, cid, ["sh", "-c", "until test -L /pw; do sleep 0.05; done"]);
      const link = await client.copyFrom(cid, "/pw", { statOnly: true });
      expect(link.stat).toMatchObject({ name: "pw", type: PathType.SYMLINK, linkTarget: "/etc/passwd" });
      let chunks = 0;
      for await (const _ of link.tar) chunks++;
      expect(chunks).toBe(0);
      const followed = await client.copyFrom(cid, "/etc/", { statOnly: true });
      expect(followed.stat.type).toBe(PathType.DIRECTORY);
    });

    it("refuses relative and missing paths, and unknown containers", { timeout: 60_000 }, async () => {
      const cid = id("mistakes");
      await client.create(cid, { process: { args: ["sleep", "300"] } });
      expect(await codeOf(client.copyTo(cid, "tmp", { path: "x", content: "" }))).toBe("invalid_argument");
      expect(await codeOf(client.copyTo(cid, "/tmp", { path: "../x", content: "" }))).toBe("invalid_argument");
      expect(await codeOf(client.copyTo(cid, "/no/such/dir", { path: "x", content: "" }))).toBe("not_found");
      expect(await codeOf(client.copyTo(cid, "/etc/passwd", { path: "x", content: "" }))).toBe("invalid_argument");
      expect(await codeOf(client.copyFrom(cid, "relative"))).toBe("invalid_argument");
      expect(await codeOf(client.copyFrom(cid, "/no/such/file"))).toBe("not_found");
      expect(await codeOf(client.copyFrom(cid, "/proc/self/environ"))).toBe("invalid_argument");
      expect(await codeOf(client.copyFrom("no-such-container", "/etc"))).toBe("not_found");
      expect(await codeOf(client.copyTo("no-such-container", "/tmp", { path: "x", content: "" }))).toBe("not_found");
    });

    it("refuses a copy into a read-only root with FAILED_PRECONDITION, while its writable volume takes it", { timeout: 60_000 }, async () => {
      const cid = id("readonly");
      const volume = await mkdtemp(join(host, "vol-"));
      await client.create(cid, { rootfs: { readOnly: true }, mounts: [{ source: volume, destination: "/data" }], process: { args: ["sleep", "300"] } });
      const err = await client.copyTo(cid, "/tmp", { path: "x", content: "" }).catch((e: unknown) => e);
      expect(await codeOf(Promise.reject(err))).toBe("failed_precondition");
      expect(String((err as Error).message)).toMatch(/read-only/);
      await client.copyTo(cid, "/data", { path: "x", content: "via volume" });
      expect(await readFile(join(volume, "x"), "utf8")).toBe("via volume");
      await client.stop(cid, { timeoutSeconds: 0 });
      expect(await codeOf(client.copyTo(cid, "/tmp", { path: "x", content: "" }))).toBe("failed_precondition");
      await client.copyTo(cid, "/data", { path: "y", content: "stopped, via volume" });
      expect(await readFile(join(volume, "y"), "utf8")).toBe("stopped, via volume");
    });
  });
}
