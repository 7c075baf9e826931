import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listCgroupPids, parsePids } from "../../src/cgroup/list-pids.js";
import { useTempDirs, writeTree } from "./cgroup-fixture.js";

const tempDir = useTempDirs("berth-cgpids-");

describe("listCgroupPids", () => {
  it("walks the cgroup and its children, sorted and without repeats", () => {
    const root = tempDir();
    writeTree(root, {
      "pids/c/cgroup.procs": "30\n7\n30\n",
      "pids/c/child/cgroup.procs": "12\n7\n",
      "pids/c/child/grandchild/cgroup.procs": "100\n",
      "pids/c/empty/cgroup.procs": "",
    });
    const paths = { mode: "v1" as const, controllers: { pids: join(root, "pids/c") } };
    expect(listCgroupPids(paths)).toEqual([7, 12, 30, 100]);
  });

  it("uses the unified dir on v2 and a v1 hierarchy on hybrid", () => {
    const root = tempDir();
    writeTree(root, { "u/cgroup.procs": "2\n", "f/cgroup.procs": "1\n" });
    const unified = join(root, "u");
    const freezer = join(root, "f");
    expect(listCgroupPids({ mode: "v2", controllers: {}, unified })).toEqual([2]);
    expect(listCgroupPids({ mode: "hybrid", controllers: { freezer }, unified })).toEqual([1]);
  });

  it("fails as failed_precondition when the cgroup is gone", () => {
    const paths = { mode: "v2" as const, controllers: {}, unified: join(tempDir(), "gone") };
    expect(() => listCgroupPids(paths)).toThrow(expect.objectContaining({ code: "failed_precondition" }));
  });
});

describe("parsePids", () => {
  it("reads one pid per line and rejects anything else", () => {
    expect(parsePids("1\n22\n")).toEqual([1, 22]);
    expect(() => parsePids("1\nx\n")).toThrow(expect.objectContaining({ code: "internal" }));
  });
});
