// The event journal as a gRPC client sees it, against a daemon in its own
// process: replay then live with no gap and no duplicate at the seam,
// OUT_OF_RANGE naming the oldest held sequence, RESOURCE_EXHAUSTED with the
// last sequence sent for a subscriber that stops reading, the daemon's
// memory flat while it does, and sequences that go on across restarts.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import type { Event } from "../../src/client/types.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { builtDist, daemonPlace, type DaemonPlace } from "./daemon-process.js";

const FIXTURE = resolve(import.meta.dirname, "../fixtures/event-flood-daemon.mjs");
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

// FloodDaemon drives test/fixtures/event-flood-daemon.mjs.
class FloodDaemon {
  private readonly lines: AsyncIterator<string>;
  readonly exited: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    this.exited = new Promise((r) => child.once("exit", r));
  }

  static async start(place: DaemonPlace, journalMaxEvents?: number): Promise<FloodDaemon> {
    // --expose-gc: memory is measured after a full collection, so that it
    // shows what the daemon holds on to, not when V8 chose to collect.
    const args = ["--expose-gc", FIXTURE, "--state-dir", place.stateDir, "--socket", place.socketPath];
    if (journalMaxEvents !== undefined) args.push("--journal-max-events", String(journalMaxEvents));
    const child = spawn(process.execPath, args, { env: { ...process.env, BERTH_DIST: await builtDist() }, stdio: ["pipe", "pipe", "inherit"] });
    const d = new FloodDaemon(child);
    expect((await d.lines.next()).value).toBe("ready");
    return d;
  }

  // command sends a control line and returns the last sequence, RSS and heap.
  async command(line: string): Promise<{ last: bigint; rss: number; heap: number }> {
    this.child.stdin!.write(`${line}\n`);
    const reply = (await this.lines.next()).value as string;
    const [, last, rss, heap] = reply.split(" ");
    return { last: BigInt(last!), rss: Number(rss), heap: Number(heap) };
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (signal === "SIGTERM") this.child.stdin!.end("quit\n");
    else this.child.kill(signal);
    await this.exited;
  }
}

// take reads up to count events, or until the stream ends or fails.
async function take(stream: AsyncIterator<Event>, count: number): Promise<{ sequences: bigint[]; error?: unknown }> {
  const sequences: bigint[] = [];
  try {
    while (sequences.length < count) {
      const r = await stream.next();
      if (r.done === true) break;
      sequences.push(r.value.sequence);
    }
  } catch (error) {
    return { sequences, error };
  }
  return { sequences };
}

const range = (from: bigint, to: bigint) => Array.from({ length: Number(to - from + 1n) }, (_, i) => from + BigInt(i));

describe("the event journal over gRPC", { timeout: 90_000 }, () => {
  let place: DaemonPlace;
  let daemon: FloodDaemon;
  let client: Client;

  beforeAll(async () => {
    place = daemonPlace("journal");
    daemon = await FloodDaemon.start(place, 16_384);
    client = await GrpcClient.connect({ socketPath: place.socketPath, namespace: "flood" });
  });

  afterAll(async () => {
    await client.close();
    await daemon.stop();
    await rm(place.stateDir, { recursive: true, force: true });
  });

  it("replays from since_sequence then goes live, with no gap and no duplicate, while events keep coming", async () => {
    const { last: start } = await daemon.command("publish 4000");
    const stop = new AbortController();
    const froms = [start - 4000n, start - 2000n, start - 10n, start];
    const streams = froms.map((since) => client.subscribe({ sinceSequence: since, signal: stop.signal })[Symbol.asyncIterator]());
    const reads = streams.map((s, i) => take(s, Number(start + 6000n - froms[i]!)));
    const { last: end } = await daemon.command("publish 6000");
    expect(end).toBe(start + 6000n);
    const results = await Promise.all(reads);
    stop.abort();
    results.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.sequences).toEqual(range(froms[i]! + 1n, end));
    });
  });

  it("replays from a since time and ends at an until time, live events included", async () => {
    const { last: before } = await daemon.command("publish 500");
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const { last: replayed } = await daemon.command("publish 500");
    const until = new Date(Date.now() + 1500);
    const events = client.subscribe({ since, until })[Symbol.asyncIterator]();
    const reading = take(events, Number.MAX_SAFE_INTEGER);
    const { last: live } = await daemon.command("publish 500");
    const result = await reading;
    expect(result.error).toBeUndefined();
    expect(result.sequences).toEqual(range(before + 1n, live));
    expect(replayed).toBe(before + 500n);
  });

  it("answers a sequence older than the journal holds with OUT_OF_RANGE naming the oldest it holds", async () => {
    await daemon.command("publish 20000");
    const failure = await take(client.subscribe({ sinceSequence: 1n })[Symbol.asyncIterator](), 1);
    expect(failure.error).toBeInstanceOf(BerthError);
    expect((failure.error as BerthError).code).toBe("out_of_range");
    const oldest = BigInt(/oldest held sequence is (\d+)/.exec((failure.error as Error).message)![1]!);
    expect(oldest).toBeGreaterThan(1n);
    // Resuming just before the oldest works, from the oldest on.
    const stop = new AbortController();
    const first = await take(client.subscribe({ sinceSequence: oldest - 1n, signal: stop.signal })[Symbol.asyncIterator](), 3);
    stop.abort();
    expect(first.sequences).toEqual(range(oldest, oldest + 2n));
  });

  it("cuts off a subscriber that stops reading with RESOURCE_EXHAUSTED and its last sequence, memory flat meanwhile", async () => {
    const stop = new AbortController();
    const { last: from } = await daemon.command("rss");
    const stalled = client.subscribe({ sinceSequence: from, signal: stop.signal })[Symbol.asyncIterator]();
    // Read one event, so the call is under way, then stop reading.
    const { last: before } = await daemon.command("publish 1");
    expect((await take(stalled, 1)).sequences).toEqual([before]);
    const samples = [await daemon.command("rss")];
    for (let i = 0; i < 10; i++) samples.push(await daemon.command("publish 10000"));
    const { last: end } = await daemon.command("rss");
    console.log(
      `daemon memory with a subscriber that never reads, every 10k events up to 100k (RSS/heap after GC): ` +
        samples.map((m) => `${mb(m.rss)}/${mb(m.heap)}`).join(", "),
    );
    // Flat: once the first 10k events have filled the journal's in-memory
    // ring, the next 90k add nothing the daemon holds on to.
    const rss = samples.slice(1).map((m) => m.rss);
    const heap = samples.slice(1).map((m) => m.heap);
    expect(Math.max(...rss) - rss[0]!).toBeLessThan(16 * 2 ** 20);
    expect(Math.max(...heap) - heap[0]!).toBeLessThan(4 * 2 ** 20);
    // Reading again: what was in flight, then the cut-off with the
    // sequence to resume from.
    const rest = await take(stalled, Number(end));
    expect(rest.error).toBeInstanceOf(BerthError);
    expect((rest.error as BerthError).code).toBe("resource_exhausted");
    const lastSent = BigInt(/last sequence sent was (\d+)/.exec((rest.error as Error).message)![1]!);
    const received = [before, ...rest.sequences];
    expect(received.at(-1)).toBe(lastSent);
    expect(received).toEqual(range(before, lastSent));
    // Resuming from it: this journal keeps 16k events, so the 100k that
    // went by took the resume point with them, and the daemon says so with
    // the oldest it holds, from which the subscriber goes on.
    const resumed = await take(client.subscribe({ sinceSequence: lastSent, signal: stop.signal })[Symbol.asyncIterator](), 1);
    expect((resumed.error as BerthError).code).toBe("out_of_range");
    const oldest = BigInt(/oldest held sequence is (\d+)/.exec((resumed.error as Error).message)![1]!);
    expect(oldest).toBeGreaterThan(lastSent + 1n);
    const rest2 = await take(client.subscribe({ sinceSequence: oldest - 1n, signal: stop.signal })[Symbol.asyncIterator](), Number(end - oldest + 1n));
    stop.abort();
    expect(rest2.sequences).toEqual(range(oldest, end));
  });

  it("goes on numbering after a SIGKILL and after a graceful stop", async () => {
    const { last } = await daemon.command("publish 10");
    await client.close();
    await daemon.stop("SIGKILL");
    daemon = await FloodDaemon.start(place, 16_384);
    // Everything published before the kill was flushed by "publish"; the
    // next one follows on.
    expect((await daemon.command("publish 1")).last).toBe(last + 1n);
    await daemon.stop();
    daemon = await FloodDaemon.start(place, 16_384);
    expect((await daemon.command("publish 1")).last).toBe(last + 2n);
    client = await GrpcClient.connect({ socketPath: place.socketPath, namespace: "flood" });
    const stop = new AbortController();
    const tail = await take(client.subscribe({ sinceSequence: last - 1n, signal: stop.signal })[Symbol.asyncIterator](), 3);
    stop.abort();
    expect(tail.sequences).toEqual([last, last + 1n, last + 2n]);
  });
});


