import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { LogStream } from "../../src/gen/berth/v1/types_pb.js";
import { parseRecord, readLogs } from "../../src/engine/log-reader.js";
import { until } from "../fixtures/until.js";

const rec = (t: string, stream: string, flag: string, text: string) => `${t} ${stream} ${flag} ${text}\n`;

describe("readLogs (k8s-file)", () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-test-logs-"));
    path = join(dir, "log");
    await writeFile(
      path,
      rec("2026-01-01T00:00:01.000000000+00:00", "stdout", "F", "one") +
        rec("2026-01-01T00:00:02.000000000+00:00", "stderr", "F", "two") +
        rec("2026-01-01T00:00:03.000000000+00:00", "stdout", "P", "thr") +
        rec("2026-01-01T00:00:03.100000000+00:00", "stdout", "F", "ee with spaces"),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const done = { path: "", exited: Promise.resolve(), isRunning: () => false };
  const collect = async (o = {}) => {
    const out: string[] = [];
    for await (const l of readLogs({ ...done, path }, o)) out.push(`${l.stream === LogStream.STDERR ? "E" : "O"}${l.partial ? "p" : ""}:${Buffer.from(l.line).toString()}`);
    return out;
  };

  it("parses stream, partial flag and the bytes after the third space", () => {
    const l = parseRecord(Buffer.from("2026-01-01T00:00:01.5+00:00 stderr P a b"))!;
    expect(l.stream).toBe(LogStream.STDERR);
    expect(l.partial).toBe(true);
    expect(Buffer.from(l.line).toString()).toBe("a b");
    expect(l.time.toISOString()).toBe("2026-01-01T00:00:01.500Z");
  });

  it("reads all, one stream, tail, and a time window", async () => {
    expect(await collect()).toEqual(["O:one", "E:two", "Op:thr", "O:ee with spaces"]);
    expect(await collect({ stderr: true })).toEqual(["E:two"]);
    expect(await collect({ tail: 2 })).toEqual(["Op:thr", "O:ee with spaces"]);
    expect(await collect({ since: new Date("2026-01-01T00:00:02Z"), until: new Date("2026-01-01T00:00:02.999Z") })).toEqual(["E:two"]);
  });

  it("follows appended lines until the process exits, then ends", async () => {
    const followPath = join(dir, "follow");
    await writeFile(followPath, rec("2026-01-01T00:00:01Z", "stdout", "F", "first"));
    let exit!: () => void;
    const exited = new Promise<void>((r) => (exit = r));
    let running = true;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const l of readLogs({ path: followPath, exited, isRunning: () => running }, { follow: true })) seen.push(Buffer.from(l.line).toString());
    })();
    // One write: the second record and the start of a third, cut short.
    await appendFile(followPath, rec("2026-01-01T00:00:02Z", "stdout", "F", "second") + "2026-01-01T00:00:03Z stdout F thi");
    // A read goes to the end of the file, so once "second" is out the reader
    // has seen the cut record too, and must hold it back until it is whole.
    await until(() => seen.includes("second"), "the reader to pass the second record");
    expect(seen).toEqual(["first", "second"]);
    await appendFile(followPath, "rd\n");
    await until(() => seen.length === 3, "the completed third record");
    running = false;
    exit();
    await reading;
    expect(seen).toEqual(["first", "second", "third"]);
  });
});
