import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cgroupModeOf,
  detectCgroupMode,
  findCgroupPaths,
  resolveCgroupPaths,
} from "../../src/cgroup/cgroup-paths.js";
import { parseCgroupMounts } from "../../src/cgroup/parse-mountinfo.js";
import { parsePids } from "../../src/cgroup/list-pids.js";
import { mountLine } from "./cgroup-fixture.js";

const mountsOf = (...lines: string[]) => parseCgroupMounts(lines.join("\n"));

const hybridMounts = mountsOf(
  mountLine(32, "/", "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"),
  mountLine(33, "/", "/sys/fs/cgroup/cpuacct", "cgroup", "rw,cpuacct"),
  mountLine(35, "/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
  mountLine(40, "/", "/sys/fs/cgroup/systemd", "cgroup", "rw,name=systemd"),
  mountLine(41, "/", "/sys/fs/cgroup/unified", "cgroup2", "rw"),
);

describe("cgroupModeOf", () => {
  it("tells v1, v2 and hybrid apart", () => {
    const v1Only = hybridMounts.filter((m) => m.version === 1);
    const v2Only = mountsOf(mountLine(30, "/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate"));
    expect(cgroupModeOf(hybridMounts)).toBe("hybrid");
    expect(cgroupModeOf(v1Only)).toBe("v1");
    expect(cgroupModeOf(v2Only)).toBe("v2");
  });

  it("does not count a named-only v1 hierarchy as v1", () => {
    const mounts = hybridMounts.filter((m) => m.version === 2 || m.superOptions.includes("name=systemd"));
    expect(cgroupModeOf(mounts)).toBe("v2");
  });

  it("fails as unavailable without any cgroup mount", () => {
    expect(() => cgroupModeOf([])).toThrow(expect.objectContaining({ code: "unavailable" }));
  });
});

describe("resolveCgroupPaths", () => {
  it("joins each hierarchy's own path, nested parents included (hybrid)", () => {
    const proc = "9:name=systemd:/c1\n4:memory:/process_api/b2a0/c1\n2:cpuacct:/c1\n1:cpu:/c1\n0::/c1\n";
    expect(resolveCgroupPaths(hybridMounts, proc)).toEqual({
      mode: "hybrid",
      controllers: {
        "name=systemd": "/sys/fs/cgroup/systemd/c1",
        memory: "/sys/fs/cgroup/memory/process_api/b2a0/c1",
        cpuacct: "/sys/fs/cgroup/cpuacct/c1",
        cpu: "/sys/fs/cgroup/cpu/c1",
      },
      unified: "/sys/fs/cgroup/unified/c1",
    });
  });

  it("maps every controller of a combined v1 mount to its one dir", () => {
    const mounts = mountsOf(
      mountLine(25, "/", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpuacct,cpu"),
      mountLine(26, "/", "/sys/fs/cgroup/pids", "cgroup", "rw,pids"),
    );
    const paths = resolveCgroupPaths(mounts, "3:cpu,cpuacct:/k/c\n2:pids:/k/c\n0::/k/c\n");
    expect(paths).toEqual({
      mode: "v1",
      controllers: { cpu: "/sys/fs/cgroup/cpu,cpuacct/k/c", cpuacct: "/sys/fs/cgroup/cpu,cpuacct/k/c", pids: "/sys/fs/cgroup/pids/k/c" },
    });
  });

  it("resolves a pure v2 host", () => {
    const mounts = mountsOf(mountLine(30, "/", "/sys/fs/cgroup", "cgroup2", "rw"));
    expect(resolveCgroupPaths(mounts, "0::/system.slice/x.scope\n")).toEqual({
      mode: "v2",
      controllers: {},
      unified: "/sys/fs/cgroup/system.slice/x.scope",
    });
    expect(resolveCgroupPaths(mounts, "0::/\n").unified).toBe("/sys/fs/cgroup");
  });

  it("strips a mount's root and leaves out cgroups the mount cannot reach", () => {
    const mounts = mountsOf(
      mountLine(30, "/kubepods/pod1", "/sys/fs/cgroup", "cgroup2", "rw"),
      mountLine(31, "/kubepods/pod1", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
    );
    const inside = resolveCgroupPaths(mounts, "5:memory:/kubepods/pod1/c\n0::/kubepods/pod1/c\n");
    expect(inside.unified).toBe("/sys/fs/cgroup/c");
    expect(inside.controllers["memory"]).toBe("/sys/fs/cgroup/memory/c");
    const outside = resolveCgroupPaths(mounts, "5:memory:/kubepods/pod10\n0::/../../elsewhere\n");
    expect(outside.unified).toBeUndefined();
    expect(outside.controllers).toEqual({});
  });
});

describe("findCgroupPaths on this host", () => {
  it("resolves the test process's own cgroups to dirs that list it", () => {
    const paths = findCgroupPaths(process.pid);
    expect(paths.mode).toBe(detectCgroupMode());
    const dirs = [...Object.values(paths.controllers), ...(paths.unified ? [paths.unified] : [])];
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) {
      expect(statSync(dir).isDirectory()).toBe(true);
      expect(parsePids(readFileSync(`${dir}/cgroup.procs`, "latin1"))).toContain(process.pid);
    }
  });

  it("fails as failed_precondition for a process that is gone", () => {
    // pid_max is at most 2^22, so this pid cannot exist.
    expect(() => findCgroupPaths(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: "failed_precondition" }));
  });

  it("rejects a pid that is not a positive integer", () => {
    expect(() => findCgroupPaths(-1)).toThrow(expect.objectContaining({ code: "invalid_argument" }));
    expect(() => findCgroupPaths(1.5)).toThrow(expect.objectContaining({ code: "invalid_argument" }));
  });
});
