import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freezerState, parseV1FreezerState, parseV2FreezerState } from "../../src/cgroup/freezer.js";
import { useTempDirs, writeTree } from "./cgroup-fixture.js";

const tempDir = useTempDirs("berth-cgfreezer-");

describe("freezerState", () => {
  it("reads the v1 freezer on a hybrid host, ignoring the unified dir", () => {
    const root = tempDir();
    writeTree(root, { "f/freezer.state": "FROZEN\n", "u/cgroup.freeze": "0\n", "u/cgroup.events": "frozen 0\n" });
    const paths = { mode: "hybrid" as const, controllers: { freezer: join(root, "f") }, unified: join(root, "u") };
    expect(freezerState(paths)).toBe("frozen");
  });

  it("reads cgroup.freeze and cgroup.events on v2", () => {
    const root = tempDir();
    writeTree(root, { "u/cgroup.freeze": "1\n", "u/cgroup.events": "populated 1\nfrozen 1\n" });
    expect(freezerState({ mode: "v2", controllers: {}, unified: join(root, "u") })).toBe("frozen");
  });

  it("reads a root cgroup, which has no freezer file, as thawed", () => {
    const root = tempDir();
    mkdirSync(join(root, "f"));
    expect(freezerState({ mode: "v1", controllers: { freezer: join(root, "f") } })).toBe("thawed");
  });

  it("fails as failed_precondition when the cgroup is gone, unavailable without a freezer", () => {
    const gone = { mode: "v1" as const, controllers: { freezer: join(tempDir(), "gone") } };
    expect(() => freezerState(gone)).toThrow(expect.objectContaining({ code: "failed_precondition" }));
    expect(() => freezerState({ mode: "v1", controllers: {} })).toThrow(expect.objectContaining({ code: "unavailable" }));
  });
});

describe("freezer file parsers", () => {
  it("map every state", () => {
    expect(parseV1FreezerState("THAWED\n")).toBe("thawed");
    expect(parseV1FreezerState("FREEZING\n")).toBe("freezing");
    expect(parseV1FreezerState("FROZEN\n")).toBe("frozen");
    expect(() => parseV1FreezerState("MELTED")).toThrow(expect.objectContaining({ code: "internal" }));
    expect(parseV2FreezerState("0\n", "populated 1\nfrozen 0\n")).toBe("thawed");
    expect(parseV2FreezerState("1\n", "populated 1\nfrozen 0\n")).toBe("freezing");
    expect(parseV2FreezerState("1\n", "populated 1\nfrozen 1\n")).toBe("frozen");
  });
});
