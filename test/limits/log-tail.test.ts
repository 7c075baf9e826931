// Logs with a large tail over a long log: the reader kept the last lines
// with Array.shift(), which copies a large array on every line, so a tail
// of 100,000 over 2,000,000 lines ran for minutes on the event loop. The
// kept lines are now trimmed in bulk: linear in the log.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readLogs } from "../../src/engine/log-reader.js";

const LINES = 300_000;
const TAIL = 100_000;

describe("Logs with a large tail", () => {
  let dir: string;
  let path: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-log-tail-"));
    path = join(dir, "init.log");
    const stamp = "2026-01-01T00:00:00.000000000Z";
    await writeFile(path, Array.from({ length: LINES }, (_, i) => `${stamp} stdout F line ${i}\n`).join(""));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the last lines in time linear in the log", async () => {
    const t = performance.now();
    const lines: string[] = [];
    for await (const l of readLogs({ path, exited: Promise.resolve(), isRunning: () => false }, { tail: TAIL })) lines.push(Buffer.from(l.line).toString());
    const ms = performance.now() - t;
    console.log(`tail ${TAIL} of ${LINES} lines: ${ms.toFixed(0)} ms`);
    expect(lines).toHaveLength(TAIL);
    expect(lines[0]).toBe(`line ${LINES - TAIL}`);
    expect(lines.at(-1)).toBe(`line ${LINES - 1}`);
    // With shift() this took over a minute; reading 300,000 lines takes
    // well under a few seconds even on a loaded machine.
    expect(ms).toBeLessThan(10_000);
  });

  it("keeps a tail of one and a tail longer than the log", async () => {
    const read = async (tail: number) => {
      const out: string[] = [];
      for await (const l of readLogs({ path, exited: Promise.resolve(), isRunning: () => false }, { tail })) out.push(Buffer.from(l.line).toString());
      return out;
    };
    expect(await read(1)).toEqual([`line ${LINES - 1}`]);
    expect(await read(LINES + 5)).toHaveLength(LINES);
  });
});
