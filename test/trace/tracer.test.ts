// The phase trace's spans and tracers, on their own: what a span records,
// what the off switch costs (nothing made per operation or step), and a
// trace file that cannot be written never failing an operation.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { NO_SPAN, traced, type SpanRecord } from "../../src/trace/span.js";
import { fileTracer, NO_TRACE, recordingTracer } from "../../src/trace/tracer.js";

// busy spins for ms, so a step takes measurable time without a sleep.
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe("a span", () => {
  it("gives each step the time since the last mark, adds up repeated names, and ends once", () => {
    const records: SpanRecord[] = [];
    const span = recordingTracer((r) => records.push(r)).begin("exec", "ns", "c1", "e1");
    busy(2);
    span.step("spec write");
    busy(1);
    span.step("conmon spawn");
    busy(1);
    span.step("spec write");
    span.end();
    span.end(new Error("a second end changes nothing"));
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r).toMatchObject({ op: "exec", namespace: "ns", id: "c1", processId: "e1" });
    expect(r.error).toBeUndefined();
    expect(Object.keys(r.steps)).toEqual(["spec write", "conmon spawn"]);
    expect(r.steps["spec write"]).toBeGreaterThanOrEqual(3);
    expect(r.steps["conmon spawn"]).toBeGreaterThanOrEqual(1);
    const sum = Object.values(r.steps).reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThanOrEqual(r.ms + 0.01);
    expect(Date.parse(r.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("says an operation failed, with its error's message", async () => {
    const records: SpanRecord[] = [];
    const tracer = recordingTracer((r) => records.push(r));
    await expect(traced(tracer.begin("create", "ns", "bad"), () => Promise.reject(new Error("no root filesystem")))).rejects.toThrow("no root filesystem");
    expect(await traced(tracer.begin("delete", "ns", "ok"), () => Promise.resolve(7))).toBe(7);
    expect(records.map((r) => [r.op, r.error])).toEqual([
      ["create", "no root filesystem"],
      ["delete", undefined],
    ]);
    expect(records[0]).not.toHaveProperty("processId");
  });
});

describe("the trace switched off", () => {
  it("hands every operation the one frozen no-op span, which records nothing", () => {
    expect(NO_TRACE.enabled).toBe(false);
    const a = NO_TRACE.begin("create", "ns", "a");
    const b = NO_TRACE.begin("exec", "ns", "b", "p");
    expect(a).toBe(NO_SPAN);
    expect(b).toBe(NO_SPAN);
    expect(Object.isFrozen(NO_SPAN)).toBe(true);
    a.step("overlay mount");
    a.end(new Error("ignored"));
    expect(Object.keys(NO_SPAN)).toEqual(["step", "end"]);
  });
});

describe("a trace file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-trace-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gets one JSON line per span, appended, written by close", async () => {
    const path = join(dir, "trace.jsonl");
    for (const id of ["one", "two"]) {
      const tracer = fileTracer(path, (err) => expect.fail(String(err)));
      const span = tracer.begin("create", "ns", id);
      span.step("id checks");
      span.end();
      await tracer.close();
    }
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l) as SpanRecord);
    expect(lines.map((l) => [l.op, l.id, Object.keys(l.steps)])).toEqual([
      ["create", "one", ["id checks"]],
      ["create", "two", ["id checks"]],
    ]);
  });

  it("that cannot be written is reported once, and the operations go on", async () => {
    const errors: unknown[] = [];
    const tracer = fileTracer(join(dir, "no-such-folder", "trace.jsonl"), (err) => errors.push(err));
    for (let i = 0; i < 3; i++) await traced(tracer.begin("exec", "ns", "c", `e${i}`), async () => undefined);
    await tracer.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/phase trace .*no-such-folder.* cannot be written, tracing stops/);
  });
});
