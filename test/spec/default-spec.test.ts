import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { ProcessSpecSchema, ResourcesSchema } from "../../src/gen/berth/v1/types_pb.js";
import { buildDefaultSpec, type DefaultSpecOptions } from "../../src/spec/default-spec.js";
import { DEFAULT_CAPABILITIES } from "../../src/spec/spec-defaults.js";

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const base: DefaultSpecOptions = { process: { args: ["sh"] }, rootfsPath: "/state/c/bundle/rootfs" };

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isBerthError(err, "invalid_argument"), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error("expected an INVALID_ARGUMENT error");
}

describe("buildDefaultSpec", () => {
  it("gives the defaults of runc spec and containerd", () => {
    const spec = buildDefaultSpec(base);
    expect(spec.ociVersion).toBe("1.0.2");
    expect(spec.root).toEqual({ path: "/state/c/bundle/rootfs", readonly: false });
    expect(spec.hostname).toBe("berth");
    expect(spec.process).toEqual({
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: [PATH],
      cwd: "/",
      capabilities: { bounding: DEFAULT_CAPABILITIES, effective: DEFAULT_CAPABILITIES, permitted: DEFAULT_CAPABILITIES },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    });
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
    expect(DEFAULT_CAPABILITIES).not.toContain("CAP_SYS_ADMIN");
    expect(spec.linux?.namespaces?.map((ns) => ns.type)).toEqual(["pid", "ipc", "uts", "mount", "network"]);
    expect(spec.linux?.resources).toEqual({ devices: [{ allow: false, access: "rwm" }] });
    expect(spec.linux?.maskedPaths).toContain("/proc/kcore");
    expect(spec.linux?.readonlyPaths).toContain("/proc/sys");
    expect(spec.linux?.cgroupsPath).toBeUndefined();
    expect(spec.annotations).toBeUndefined();
    expect(spec.mounts?.map((m) => `${m.destination}:${m.type}`)).toEqual([
      "/proc:proc",
      "/dev:tmpfs",
      "/dev/pts:devpts",
      "/dev/shm:tmpfs",
      "/dev/mqueue:mqueue",
      "/sys:sysfs",
      "/sys/fs/cgroup:cgroup",
    ]);
    expect(spec.mounts?.[2]?.options).toEqual(expect.arrayContaining(["newinstance", "ptmxmode=0666"]));
    expect(spec.mounts?.find((m) => m.destination === "/sys")?.options).toContain("ro");
    expect(spec.mounts?.find((m) => m.destination === "/sys/fs/cgroup")?.options).toContain("ro");
  });

  it("takes a generated ProcessSpec and Resources, converting int64 bigints to numbers", () => {
    const spec = buildDefaultSpec({
      ...base,
      process: create(ProcessSpecSchema, {
        args: ["top"],
        env: ["PATH=/bin", "A=1"],
        cwd: "/work",
        user: { uid: 1000, gid: 100, additionalGids: [10, 20] },
        terminal: true,
        consoleSize: { width: 120, height: 40 },
      }),
      resources: create(ResourcesSchema, { memoryLimitBytes: 64n * 1024n * 1024n, pidsLimit: 50n, cpusetCpus: "0" }),
      readonlyRootfs: true,
      hostname: "web-1",
      cgroupsPath: "/berth/default/web-1",
      labels: { team: "infra" },
    });
    expect(spec.process.env).toEqual(["PATH=/bin", "A=1", "TERM=xterm"]);
    expect(spec.process.cwd).toBe("/work");
    expect(spec.process.user).toEqual({ uid: 1000, gid: 100, additionalGids: [10, 20] });
    expect(spec.process.terminal).toBe(true);
    expect(spec.process.consoleSize).toEqual({ width: 120, height: 40 });
    expect(spec.root.readonly).toBe(true);
    expect(spec.hostname).toBe("web-1");
    expect(spec.linux?.cgroupsPath).toBe("/berth/default/web-1");
    expect(spec.annotations).toEqual({ team: "infra" });
    expect(spec.linux?.resources).toEqual({
      devices: [{ allow: false, access: "rwm" }],
      memory: { limit: 64 * 1024 * 1024 },
      cpu: { cpus: "0" },
      pids: { limit: 50 },
    });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec); // no bigint survives
  });

  it("treats proto3 empty values as defaults and ignores a console without a terminal", () => {
    const spec = buildDefaultSpec({ ...base, process: create(ProcessSpecSchema, { args: ["sh"], consoleSize: { width: 80, height: 24 } }) });
    expect(spec.process.cwd).toBe("/");
    expect(spec.process.env).toEqual([PATH]);
    expect(spec.process.consoleSize).toBeUndefined();
    expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
  });

  it("adds bind mounts with rbind and ro/rw, replacing a default at the same destination in place", () => {
    const spec = buildDefaultSpec({
      ...base,
      mounts: [
        { source: "/srv/data", destination: "/data", readOnly: true },
        { source: "/srv/shm", destination: "/dev/shm/" },
      ],
    });
    expect(spec.mounts?.[3]).toEqual({ destination: "/dev/shm", type: "bind", source: "/srv/shm", options: ["rbind", "rw"] });
    expect(spec.mounts?.at(-1)).toEqual({ destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "ro"] });
    expect(spec.mounts).toHaveLength(8);
  });

  it("rejects what would make a broken spec, saying what to fix", () => {
    expect(errorOf(() => buildDefaultSpec({ ...base, process: { args: [] } })).message).toBe(
      'process.args is empty: give the program to run, e.g. ["sh", "-c", "..."]',
    );
    expect(errorOf(() => buildDefaultSpec({ ...base, process: { args: ["sh"], cwd: "tmp" } })).message).toMatch(/absolute/);
    expect(errorOf(() => buildDefaultSpec({ ...base, process: { args: ["sh"], env: ["NOEQUALS"] } })).message).toMatch(/KEY=VALUE/);
    expect(errorOf(() => buildDefaultSpec({ ...base, mounts: [{ source: "rel", destination: "/x" }] })).message).toMatch(/absolute path on the host/);
    expect(errorOf(() => buildDefaultSpec({ ...base, mounts: [{ source: "/a", destination: "/" }] })).message).toMatch(/other than "\/"/);
    expect(
      errorOf(() =>
        buildDefaultSpec({ ...base, mounts: [{ source: "/a", destination: "/x" }, { source: "/b", destination: "/x/" }] }),
      ).message,
    ).toMatch(/two mounts have the destination "\/x"/);
    expect(errorOf(() => buildDefaultSpec({ ...base, hostname: "bad_host!" })).message).toMatch(/host name/);
    expect(errorOf(() => buildDefaultSpec({ ...base, resources: { pidsLimit: 0n } })).message).toMatch(/pids_limit/);
  });
});
