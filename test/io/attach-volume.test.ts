// Attach under load, against a daemon in a process of its own so its memory
// can be read from outside: 50 MiB stream through with the daemon's memory
// bounded, and a client that stops reading never holds up the process nor
// loses a line of its log.
import { createHash } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { AttachOutput, Client } from "../../src/client/client.js";
import { LogStream } from "../../src/client/types.js";
import { Input } from "../contract/io-contract.js";
import { startChildDaemon, type ChildDaemon } from "./fixtures/child-daemon.js";

const MIB = 1024 * 1024;

describe("attach under load", () => {
  let daemon: ChildDaemon;
  let client: Client;
  let n = 0;
  const made = new Set<string>();
  const id = (name: string) => {
    const cid = `vol-${name}-${++n}`;
    made.add(cid);
    return cid;
  };

  beforeAll(async () => {
    daemon = await startChildDaemon("volume");
    client = await daemon.client();
  });

  afterAll(async () => {
    // A test that failed midway still deletes what it made; stop() fails on the rest.
    for (const cid of made) await client?.delete(cid, { force: true }).catch(() => {});
    await daemon?.stop();
  });

  // stream50 runs a container that writes 50 MiB of random bytes (and their
  // sha256 to stderr) and attaches to it. With pauseAfter, the client stops
  // reading after that many bytes until the container has exited (all 50 MiB
  // written), and the daemon's retained memory is read while it waits.
  async function stream50(pauseAfter?: number): Promise<{ bytes: number; digestMatches: boolean; exitCode: number | undefined; maxRssKiB: number; retainedWhilePausedKiB?: number; seconds: number }> {
    const cid = id("50mib");
    const size = 50 * MIB;
    await client.create(cid, { process: { args: ["sh", "-c", `head -c ${size} /dev/urandom > /tmp/blob && sha256sum /tmp/blob >&2 && cat /tmp/blob`] } });
    const hash = createHash("sha256");
    let bytes = 0;
    let stderr = "";
    let exitCode: number | undefined;
    let maxRssKiB = 0;
    let retainedWhilePausedKiB: number | undefined;
    const sampler = setInterval(() => (maxRssKiB = Math.max(maxRssKiB, daemon.rssKiB())), 50);
    const started = Date.now();
    try {
      for await (const out of client.attach(cid, { logs: true })) {
        if ("exit" in out) exitCode = out.exit.exitCode;
        else if (out.stream === LogStream.STDERR) stderr += Buffer.from(out.data).toString();
        else {
          hash.update(out.data);
          bytes += out.data.length;
          if (pauseAfter !== undefined && retainedWhilePausedKiB === undefined && bytes >= pauseAfter) {
            await client.wait(cid);
            retainedWhilePausedKiB = await daemon.retainedKiB();
          }
        }
      }
    } finally {
      clearInterval(sampler);
    }
    await client.delete(cid);
    made.delete(cid);
    return { bytes, digestMatches: stderr.split(" ")[0] === hash.digest("hex"), exitCode, maxRssKiB, retainedWhilePausedKiB, seconds: (Date.now() - started) / 1000 };
  }

  // Memory is judged by what the daemon retains after a full collection, not
  // by its resident size, whose peaks follow when V8 chose to collect (on a
  // loaded machine a second identical run peaked 33 MiB higher than the first
  // with nothing held).
  it("streams 50 MiB of binary output byte for byte, holding neither the stream nor anything after it", { timeout: 180_000 }, async () => {
    const before = await daemon.retainedKiB();
    const first = await stream50();
    const afterFirst = await daemon.retainedKiB();
    const second = await stream50(MIB);
    const afterSecond = await daemon.retainedKiB();
    const mib = (kib: number) => Math.round(kib / 1024);
    console.log(
      "attach 50 MiB twice:",
      JSON.stringify({
        seconds: [first.seconds, second.seconds],
        daemonRetainedMiB: { before: mib(before), afterFirst: mib(afterFirst), whilePaused: mib(second.retainedWhilePausedKiB!), afterSecond: mib(afterSecond) },
        daemonMaxRssMiB: [mib(first.maxRssKiB), mib(second.maxRssKiB)],
      }),
    );
    for (const run of [first, second]) expect([run.bytes, run.digestMatches, run.exitCode]).toEqual([50 * MIB, true, 0]);
    // A client that stops reading after 1 MiB of 50 leaves the rest in the
    // log file: the daemon holds no more than its read-ahead.
    expect(second.retainedWhilePausedKiB! - afterFirst).toBeLessThan(8 * 1024);
    // The first run warms the daemon up; after the second it holds nothing more.
    expect(afterSecond - afterFirst).toBeLessThan(2 * 1024);
  });

  it("a client that stops reading never holds up the process, and no line is lost from the log", { timeout: 60_000 }, async () => {
    const cid = id("slow");
    const lines = 100_000;
    // stdin is open and written to first, so the daemon holds a connection to
    // conmon's attach socket, which conmon writes every chunk to as well.
    await client.create(cid, { process: { args: ["sh", "-c", `read go; seq 1 ${lines}; echo done >&2`], stdin: true } });
    const input = new Input();
    const outputs = client.attach(cid, { logs: true, input })[Symbol.asyncIterator]();
    input.send(Buffer.from("go\n"));
    const first = await outputs.next();
    expect(first.done).toBe(false);
    // The client reads nothing more; the process runs to its end anyway.
    const exit = await client.wait(cid);
    expect(exit.exitCode).toBe(0);
    let count = 0;
    let last = "";
    // Logs gives records; conmon cuts a line where a read of its pipe ends
    // (a partial record), so whole lines are counted at their last record.
    let line = "";
    for await (const l of client.logs(cid, { stdout: true })) {
      line += Buffer.from(l.line).toString();
      if (l.partial) continue;
      count++;
      last = line;
      line = "";
    }
    expect([count, last]).toEqual([lines, String(lines)]);
    // The slow client, reading again, gets everything, then the exit.
    let text = Buffer.from((first.value as Extract<AttachOutput, { stream: LogStream }>).data).toString();
    let exitCode: number | undefined;
    for (let r = await outputs.next(); r.done !== true; r = await outputs.next()) {
      if ("exit" in r.value) exitCode = r.value.exit.exitCode;
      else if (r.value.stream === LogStream.STDOUT) text += Buffer.from(r.value.data).toString();
    }
    input.end();
    const got = text.split("\n");
    expect(got.length).toBe(lines + 1);
    expect(got[lines - 1]).toBe(String(lines));
    expect(exitCode).toBe(0);
    await client.delete(cid);
    made.delete(cid);
  });
});
