import { describe, expect, it } from "vitest";
import { parseCgroupMounts, v1Controllers } from "../../src/cgroup/parse-mountinfo.js";
import { parseProcCgroup } from "../../src/cgroup/parse-proc-cgroup.js";

// This host's layout, verbatim: a v1/v2 hybrid with cgroup2 at .../unified.
const HYBRID = `23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

describe("parseCgroupMounts", () => {
  it("keeps only cgroup and cgroup2 mounts, in order", () => {
    const mounts = parseCgroupMounts(HYBRID);
    expect(mounts.map((m) => [m.version, m.mountPoint])).toEqual([
      [1, "/sys/fs/cgroup/cpu"],
      [1, "/sys/fs/cgroup/cpuacct"],
      [1, "/sys/fs/cgroup/memory"],
      [1, "/sys/fs/cgroup/systemd"],
      [2, "/sys/fs/cgroup/unified"],
    ]);
    expect(mounts[4]!.superOptions).toEqual([]);
  });

  it("reads combined v1 mounts and skips any number of optional fields", () => {
    const text =
      "25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 master:3 - cgroup cgroup rw,xattr,cpu,cpuacct\n" +
      "26 24 0:23 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,release_agent=/lib/systemd/agent,name=systemd";
    const [cpu, systemd] = parseCgroupMounts(text);
    expect(cpu!.mountPoint).toBe("/sys/fs/cgroup/cpu,cpuacct");
    expect(v1Controllers(cpu!)).toEqual(["cpu", "cpuacct"]);
    expect(v1Controllers(systemd!)).toEqual(["name=systemd"]);
  });

  it("decodes octal escapes and keeps a bind mount's root", () => {
    const text = "40 30 0:38 /docker/a\\040b /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot";
    expect(parseCgroupMounts(text)).toEqual([
      { version: 2, root: "/docker/a b", mountPoint: "/mnt/my cgroup", superOptions: [] },
    ]);
  });

  it("ignores blank and truncated lines", () => {
    expect(parseCgroupMounts("\n41 31 0:38 / /x rw\n")).toEqual([]);
  });
});

describe("parseProcCgroup", () => {
  it("splits hierarchy, controllers and path, keeping colons in the path", () => {
    const text = "4:memory:/process_api/b2a0\n1:cpu,cpuacct:/a:b\n9:name=systemd:/\n0::/user.slice\n";
    expect(parseProcCgroup(text)).toEqual([
      { hierarchyId: 4, controllers: ["memory"], path: "/process_api/b2a0" },
      { hierarchyId: 1, controllers: ["cpu", "cpuacct"], path: "/a:b" },
      { hierarchyId: 9, controllers: ["name=systemd"], path: "/" },
      { hierarchyId: 0, controllers: [], path: "/user.slice" },
    ]);
  });
});
