// The spec of a container in a user namespace of its own: the namespace
// and its maps, /sys bound from the host when the container has no network
// namespace of its own (and no cgroup mount then), devpts without gid=5
// when gid 5 is not mapped; and the request's userns checked first.
import { describe, expect, it } from "vitest";

import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";
import { buildDefaultSpec } from "../../src/spec/default-spec.js";
import { checkSecurityOptions } from "../../src/spec/security-options.js";
import { checkUsernsOptions } from "../../src/spec/userns-options.js";
import { applyUserNamespace } from "../../src/spec/userns-spec.js";

const spec = () => buildDefaultSpec({ process: { args: ["true"] }, rootfsPath: "/r" });
const AUTO = [{ containerId: 0, hostId: 1_000_000_000, size: 65536 }];

describe("a user namespace in the spec", () => {
  it("adds the namespace and the maps, and keeps sysfs and the cgroup mount with a network namespace of its own", () => {
    const s = spec();
    applyUserNamespace(s, { uid: AUTO, gid: AUTO });
    expect(s.linux?.namespaces?.filter((n) => n.type === "user")).toEqual([{ type: "user" }]);
    expect(s.linux?.uidMappings).toEqual([{ containerID: 0, hostID: 1_000_000_000, size: 65536 }]);
    expect(s.mounts?.find((m) => m.destination === "/sys")?.type).toBe("sysfs");
    expect(s.mounts?.some((m) => m.destination === "/sys/fs/cgroup")).toBe(true);
    expect(s.mounts?.find((m) => m.type === "devpts")?.options).toContain("gid=5");
  });

  it("binds the host's /sys read-only and drops the cgroup mount without a network namespace of its own (host mode, or one joined by path)", () => {
    for (const namespaces of [[{ type: "pid" as const }], [{ type: "network" as const, path: "/var/run/netns/x" }]]) {
      const s = spec();
      s.linux!.namespaces = namespaces;
      applyUserNamespace(s, { uid: AUTO, gid: AUTO });
      expect(s.mounts?.find((m) => m.destination === "/sys")).toEqual({ destination: "/sys", type: "bind", source: "/sys", options: ["rprivate", "nosuid", "noexec", "nodev", "ro", "rbind"] });
      expect(s.mounts?.some((m) => m.destination === "/sys/fs/cgroup")).toBe(false);
    }
  });

  it("drops devpts's gid=5 when gid 5 is not mapped", () => {
    const s = spec();
    applyUserNamespace(s, { uid: AUTO, gid: [{ containerId: 0, hostId: 1_000_000_000, size: 5 }] });
    expect(s.mounts?.find((m) => m.type === "devpts")?.options).not.toContain("gid=5");
  });
});

describe("the request's userns", () => {
  it("is the host's unless asked, auto of 65536 by default, and explicit mappings as given", () => {
    expect(checkUsernsOptions(undefined)).toEqual({ mode: "host" });
    expect(checkUsernsOptions({ mode: UsernsMode.HOST })).toEqual({ mode: "host" });
    expect(checkUsernsOptions({ mode: UsernsMode.AUTO })).toEqual({ mode: "auto", size: 65536 });
    expect(checkUsernsOptions({ mode: UsernsMode.AUTO, size: 10 })).toEqual({ mode: "auto", size: 10 });
    const map = [{ containerId: 0, hostId: 7, size: 1 }, { containerId: 1, hostId: 2_000_000_000, size: 10 }];
    expect(checkUsernsOptions({ mode: UsernsMode.MAPPINGS, uidMappings: map, gidMappings: map })).toEqual({ mode: "mappings", uid: map, gid: map });
  });

  it("makes SecurityOptions non-default, so it cannot ride with oci_spec_json, and refuses privileged with it", () => {
    expect(checkSecurityOptions({ userns: { mode: UsernsMode.AUTO } }).userns).toEqual({ mode: "auto", size: 65536 });
    expect(() => checkSecurityOptions({ privileged: true, userns: { mode: UsernsMode.AUTO } })).toThrow(/needs the host's user namespace/);
    expect(() => checkUsernsOptions({ mode: UsernsMode.MAPPINGS, uidMappings: Array.from({ length: 341 }, (_, i) => ({ containerId: i, hostId: 5000 + i, size: 1 })), gidMappings: AUTO })).toThrow(/340/);
  });
});
