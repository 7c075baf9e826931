import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { checkBlockIoWeightOnHost, fromIoWeight, toIoWeight } from "../../src/spec/block-io-weight.js";
import { checkSpecOnHost } from "../../src/spec/host-checks.js";
import type { OciSpec } from "../../src/spec/oci-spec.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { mountLine, useTempDirs, writeTree } from "../cgroup/cgroup-fixture.js";

const tempDir = useTempDirs("berth-blkio-weight-");

// v1Host lays out a blkio hierarchy beside a memory one; files go under it.
function v1Host(root: string, files: Record<string, string>): string {
  writeTree(root, { "memory/memory.limit_in_bytes": "0\n", ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`blkio/${k}`, v])) });
  return [mountLine(1, "/", `${root}/memory`, "cgroup", "rw,memory"), mountLine(2, "/", `${root}/blkio`, "cgroup", "rw,blkio"), mountLine(3, "/", `${root}/unified`, "cgroup2", "rw")].join("\n");
}

function v2Host(root: string, files: Record<string, string>): string {
  writeTree(root, files);
  return mountLine(1, "/", root, "cgroup2", "rw,nsdelegate");
}

describe("checkBlockIoWeightOnHost on fixture hosts", () => {
  it("accepts a v1 host whose child cgroups have blkio.bfq.weight, or whose root has blkio.weight (CFQ)", async () => {
    await checkBlockIoWeightOnHost("w", 500, v1Host(tempDir(), { "system.slice/blkio.bfq.weight": "100\n" }));
    await checkBlockIoWeightOnHost("w", 500, v1Host(tempDir(), { "blkio.weight": "500\n" }));
  });

  it("refuses a v1 host with neither, as FAILED_PRECONDITION naming the files", async () => {
    const check = checkBlockIoWeightOnHost("resources.blkio_weight", 500, v1Host(tempDir(), { "system.slice/blkio.throttle.io_serviced": "Total 0\n" }));
    expect(await codeOf(check)).toBe("failed_precondition");
    expect(await messageOf(checkBlockIoWeightOnHost("resources.blkio_weight", 500, v1Host(tempDir(), {})))).toMatch(
      /^resources\.blkio_weight 500: this host cannot weigh block I\/O: its cgroups have no blkio\.weight or blkio\.bfq\.weight .*leave the weight unset$/,
    );
  });

  it("refuses a v1 host without a blkio controller", async () => {
    const root = tempDir();
    writeTree(root, { "memory/x": "" });
    const mountinfo = [mountLine(1, "/", `${root}/memory`, "cgroup", "rw,memory"), mountLine(2, "/", `${root}/unified`, "cgroup2", "rw")].join("\n");
    expect(await codeOf(checkBlockIoWeightOnHost("w", 100, mountinfo))).toBe("failed_precondition");
  });

  it("on v2, needs the io controller and io.weight or io.bfq.weight below the root, or iocost at the root", async () => {
    await checkBlockIoWeightOnHost("w", 100, v2Host(tempDir(), { "cgroup.controllers": "cpu io memory pids\n", "a.slice/io.weight": "default 100\n" }));
    await checkBlockIoWeightOnHost("w", 100, v2Host(tempDir(), { "cgroup.controllers": "io memory\n", "a.slice/io.bfq.weight": "default 100\n" }));
    await checkBlockIoWeightOnHost("w", 100, v2Host(tempDir(), { "cgroup.controllers": "io memory\n", "io.cost.qos": "" }));
    const noIo = v2Host(tempDir(), { "cgroup.controllers": "cpu memory\n", "a.slice/io.weight": "default 100\n" });
    expect(await messageOf(checkBlockIoWeightOnHost("w", 100, noIo))).toMatch(/its cgroups have no io\.bfq\.weight or io\.weight/);
    const noWeight = v2Host(tempDir(), { "cgroup.controllers": "io memory\n", "a.slice/io.stat": "" });
    expect(await codeOf(checkBlockIoWeightOnHost("w", 100, noWeight))).toBe("failed_precondition");
  });
});

describe("io.weight conversion", () => {
  it("maps the blkio scale onto io.weight as runc does, and back", () => {
    expect([10, 100, 500, 1000].map(toIoWeight)).toEqual([1, 910, 4950, 10000]);
    for (const w of [10, 11, 100, 333, 500, 999, 1000]) expect(fromIoWeight(toIoWeight(w))).toBe(w);
  });
});

// What this host's kernel offers, looked up directly: a weight file in the
// v1 blkio hierarchy's root or its first level of cgroups.
function hostHasV1Weight(): boolean | undefined {
  const root = "/sys/fs/cgroup/blkio";
  if (!existsSync(root)) return undefined;
  const dirs = [root, ...readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, e.name))];
  return dirs.some((d) => existsSync(join(d, "blkio.weight")) || existsSync(join(d, "blkio.bfq.weight")));
}

describe("checkBlockIoWeightOnHost on this host", () => {
  const v1 = hostHasV1Weight();
  it.runIf(v1 !== undefined)("agrees with the blkio hierarchy's files", async () => {
    const check = checkBlockIoWeightOnHost("blkio_weight", 500);
    if (v1) await check;
    else expect(await codeOf(check)).toBe("failed_precondition");
  });

  it.runIf(v1 === false)("refuses a user's spec asking for a weight, and lets a weight of 0 (none) pass", async () => {
    const spec = (weight: number): OciSpec => ({ ociVersion: "1.0.2", process: { user: { uid: 0, gid: 0 }, args: ["true"], cwd: "/" }, root: { path: "/" }, linux: { resources: { blockIO: { weight } } } });
    expect(await messageOf(checkSpecOnHost(spec(500)))).toMatch(/^oci_spec_json: \/linux\/resources\/blockIO\/weight 500: this host cannot weigh block I\/O/);
    await checkSpecOnHost(spec(0));
  });
});
