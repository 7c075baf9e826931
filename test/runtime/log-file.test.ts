// LogFile without containers: where reading starts, records still being
// written, and conmon's rotation (a fresh file renamed over the path).
import { appendFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { LogFile, LogWatch } from "../../src/runtime/log-file.js";

const rec = (text: string, flag = "F") => `2026-01-01T00:00:01.000000000+00:00 stdout ${flag} ${text}\n`;
const texts = (lines: { line: Uint8Array }[]) => lines.map((l) => Buffer.from(l.line).toString());

describe("LogFile", () => {
  let dir: string;
  let n = 0;
  const fresh = () => join(dir, `log-${++n}`);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-test-logfile-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("starts at the first record, or after the last complete one", async () => {
    const path = fresh();
    await writeFile(path, rec("one") + rec("two") + "2026-01-01T00:00:01Z stdout F thr");
    const fromStart = await LogFile.open(path);
    expect(texts(await fromStart.read())).toEqual(["one", "two"]);
    const fromEnd = await LogFile.open(path, "end");
    expect(texts(await fromEnd.read())).toEqual([]);
    await appendFile(path, "ee\n" + rec("four"));
    expect(texts(await fromStart.read())).toEqual(["three", "four"]);
    expect(texts(await fromEnd.read())).toEqual(["three", "four"]);
    await Promise.all([fromStart.close(), fromEnd.close()]);
  });

  it("reads a file that appears after it was opened, from its start", async () => {
    const path = fresh();
    const f = await LogFile.open(path, "end");
    expect(await f.read()).toEqual([]);
    await writeFile(path, rec("late"));
    expect(texts(await f.read())).toEqual(["late"]);
    await f.close();
  });

  it("follows a rotation: the old file to its end, then the new one from its start", async () => {
    const path = fresh();
    await writeFile(path, rec("a1"));
    const f = await LogFile.open(path);
    const watch = new LogWatch(path);
    expect(texts(await f.read())).toEqual(["a1"]);
    await appendFile(path, rec("a2"));
    await writeFile(`${path}.tmp`, rec("b1"));
    await rename(`${path}.tmp`, path);
    await watch.wait(1000);
    expect(texts(await f.read())).toEqual(["a2", "b1"]);
    await appendFile(path, rec("b2", "P") + rec("c"));
    expect((await f.read()).map((l) => [Buffer.from(l.line).toString(), l.partial])).toEqual([
      ["b2", true],
      ["c", false],
    ]);
    watch.close();
    await f.close();
  });

  it("returns a large file in bounded pieces", async () => {
    const path = fresh();
    await writeFile(path, rec("x".repeat(1000)).repeat(3000));
    const f = await LogFile.open(path);
    const sizes: number[] = [];
    for (let lines = await f.read(256 * 1024); lines.length > 0; lines = await f.read(256 * 1024)) sizes.push(lines.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(Math.max(...sizes)).toBeLessThan(400);
    await f.close();
  });
});
