// CopyTo and CopyFrom stream: a 1 GiB file goes in and comes out with the
// process's resident memory (daemon and client are one process here) held
// to a small bound, and a copy aborted midway ends at once and holds
// nothing (the container deletes, the suite's leak check finds nothing).
import { createHash } from "node:crypto";

import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const GIB = 1024 * 1024 * 1024;
const BLOCK_BYTES = 1 << 20;

let daemon: TestDaemon;
const clients: Record<string, Client> = {};

beforeAll(async () => {
  daemon = await startTestDaemon("copy-stream");
  clients["LocalClient"] = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  clients["GrpcClient"] = await (await Remote.connect({ socketPath: daemon.socketPath })).client(undefined, { namespace: daemon.namespace });
}, 60_000);

afterAll(() => daemon.stop());

// bigArchive is a tar of one file of size bytes, produced as it is read,
// each block a fresh buffer: a copy that kept what it was given would
// show in the resident size (one reused buffer would hide it).
function bigArchive(size: number): AsyncIterable<Uint8Array> {
  const pack = tar.pack();
  const entry = pack.entry({ name: "big.bin", size, mode: 0o644 });
  void (async () => {
    for (let left = size; left > 0; left -= BLOCK_BYTES) {
      if (!entry.write(Buffer.alloc(Math.min(BLOCK_BYTES, left), 0x5a))) await new Promise<void>((resolve) => entry.once("drain", () => resolve()));
    }
    entry.end();
    pack.finalize();
  })();
  return pack as unknown as AsyncIterable<Uint8Array>;
}

// peakRss samples the resident size while work runs.
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await work();
    return { result, growthMb: Math.round((peak - base) / (1 << 20)) };
  } finally {
    clearInterval(timer);
  }
}

describe.each([
  ["LocalClient", GIB],
  ["GrpcClient", GIB],
])("streaming through %s", (which, size) => {
  it(`copies ${size / (1 << 20)} MiB in and out with memory flat, and an aborted copy ends at once`, { timeout: 600_000 }, async () => {
    const client = clients[which]!;
    const cid = daemon.id("big");
    await client.create(cid, { process: { args: ["sleep", "600"] } });
    try {
      const t0 = Date.now();
      const into = await peakRss(() => client.copyTo(cid, "/tmp", bigArchive(size)));
      const t1 = Date.now();
      expect(into.result).toEqual({ entries: 1, bytes: size });
      const out = await peakRss(async () => {
        const { stat, tar: stream } = await client.copyFrom(cid, "/tmp/big.bin");
        expect(stat.size).toBe(BigInt(size));
        let bytes = 0;
        for await (const chunk of stream) bytes += chunk.length;
        return bytes;
      });
      const t2 = Date.now();
      // The file, padded to 512-byte blocks, its header and the end blocks.
      expect(out.result).toBeGreaterThanOrEqual(size + 512);
      console.log(`${which}: ${size / (1 << 20)} MiB in ${t1 - t0} ms (+${into.growthMb} MiB RSS), out ${t2 - t1} ms (+${out.growthMb} MiB RSS)`);
      expect(into.growthMb).toBeLessThan(150);
      expect(out.growthMb).toBeLessThan(150);

      // Aborted midway, each direction ends promptly with the caller's abort.
      const abortIn = new AbortController();
      const copying = client.copyTo(cid, "/tmp/again", bigArchive(size), { signal: abortIn.signal }).catch((e: unknown) => e);
      setTimeout(() => abortIn.abort(), 300);
      const started = Date.now();
      expect(await copying).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(5000);
      const abortOut = new AbortController();
      const { tar: partial } = await client.copyFrom(cid, "/tmp/big.bin", { signal: abortOut.signal });
      let read = 0;
      const hash = createHash("sha256");
      try {
        for await (const chunk of partial) {
          hash.update(chunk);
          read += chunk.length;
          if (read > 8 << 20) abortOut.abort();
        }
      } catch {
        // The abort, as the caller asked.
      }
      expect(read).toBeLessThan(size);
    } finally {
      await client.delete(cid, { force: true });
    }
  });
});
