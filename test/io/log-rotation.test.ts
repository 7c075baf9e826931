// Log rotation: with a size limit, conmon starts a fresh log file when the
// next record would pass it (fsync, then a new file renamed over the path;
// the old content is dropped). Logs and Attach, following, read each file
// to its end before moving to the next, so a reader that keeps up misses no
// line; the file on disk stays within the limit.
import { stat } from "node:fs/promises";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { LogStream } from "../../src/client/types.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const LIMIT = 64 * 1024;
const BATCHES = 24;
const PER_BATCH = 250;
// Batches of lines with short pauses: about 330 KB of log, so conmon
// rotates the file about five times, every half second or so, while the
// readers follow it. (A reader that falls a whole file behind loses the file
// it skipped: conmon keeps no old generations.)
const WRITER = `i=0; while [ $i -lt ${BATCHES} ]; do j=0; while [ $j -lt ${PER_BATCH} ]; do echo line-$((i*${PER_BATCH}+j)); j=$((j+1)); done; i=$((i+1)); sleep 0.1; done`;

const expected = Array.from({ length: BATCHES * PER_BATCH }, (_, i) => `line-${i}`);

describe("log rotation at a size limit", () => {
  let daemon: TestDaemon;
  let client: Client;

  beforeAll(async () => {
    daemon = await startTestDaemon("rotate", { serve: false, logSizeMax: LIMIT });
    client = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  });

  afterAll(async () => {
    for (const c of await client.list()) await client.delete(c.id, { force: true }).catch(() => {});
    await client.close();
    await daemon.stop();
  });

  it("Logs follow and Attach read every line across rotations; the file stays within the limit", { timeout: 60_000 }, async () => {
    const cid = daemon.id("rot");
    const created = await client.create(cid, { process: { args: ["sh", "-c", WRITER] } });
    const followed = (async () => {
      const lines: string[] = [];
      for await (const l of client.logs(cid, { follow: true })) lines.push(Buffer.from(l.line).toString());
      return lines;
    })();
    const attached = (async () => {
      let text = "";
      let exitCode: number | undefined;
      for await (const out of client.attach(cid, { logs: true })) {
        if ("exit" in out) exitCode = out.exit.exitCode;
        else if (out.stream === LogStream.STDOUT) text += Buffer.from(out.data).toString();
      }
      return { text, exitCode };
    })();
    expect(await followed).toEqual(expected);
    const a = await attached;
    expect(a.exitCode).toBe(0);
    expect(a.text).toBe(expected.map((l) => `${l}\n`).join(""));

    const log = `${created.bundle.replace(/\/bundle$/, "")}/init.log`;
    expect((await stat(log)).size).toBeLessThanOrEqual(LIMIT);
    // What is left on disk is the end of the output, whole and in order.
    const kept: string[] = [];
    for await (const l of client.logs(cid)) kept.push(Buffer.from(l.line).toString());
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(expected.length / 2);
    expect(kept).toEqual(expected.slice(expected.length - kept.length));
  });

  it("the limit is a setting: UpdateOptions applies it to processes started afterwards", { timeout: 30_000 }, async () => {
    await daemon.remote.updateOptions({ logSizeMax: 4 * 1024 });
    const cid = daemon.id("small");
    const created = await client.create(cid, { process: { args: ["sh", "-c", "seq 1 5000"] } });
    await client.wait(cid);
    const log = `${created.bundle.replace(/\/bundle$/, "")}/init.log`;
    expect((await stat(log)).size).toBeLessThanOrEqual(4 * 1024);
    const kept: string[] = [];
    for await (const l of client.logs(cid)) kept.push(Buffer.from(l.line).toString());
    expect(kept.at(-1)).toBe("5000");
  });
});
