// The privilege flags of run and create through the built CLI against a
// real `berth serve`: --cap-add/--cap-drop, --user, --tmpfs, --device,
// --privileged, --security-opt seccomp=unconfined|FILE, and the exit code
// of a name the daemon refuses.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useServeDaemon } from "./berth-cli.js";


const prefix = `clis-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;


const served = useServeDaemon("clis", prefix);
const cli = served.cli;

describe("berth run's privilege flags", { timeout: 60_000 }, () => {
  it("--cap-drop ALL --cap-add CHOWN, --user by name and --tmpfs reach the container", async () => {
    const script = "grep CapBnd: /proc/self/status; id -u; grep ' /served.scratch ' /proc/mounts";
    const r = await cli("run", "--rm", "--cap-drop", "ALL", "--cap-add", "chown", "--user", "nobody", "--tmpfs", "/served.scratch:size=2m,exec", id("caps"), "--", "sh", "-c", script);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // A non-root user holds no effective capabilities; the bounding set shows the change.
    expect(r.stdout).toMatch(/^CapBnd:\s+0000000000000001$/m);
    expect(r.stdout).toMatch(/^65534$/m);
    expect(r.stdout).toMatch(/tmpfs \/served.scratch tmpfs rw,nosuid,nodev,relatime,size=2048k/);
  });

  it("runs under the default seccomp profile, without one given seccomp=unconfined, and under a profile file", async () => {
    const status = "grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null; echo unshare=$?";
    expect((await cli("run", "--rm", id("default"), "--", "sh", "-c", status)).stdout).toMatch(/Seccomp:\s+2\nunshare=1/);
    expect((await cli("run", "--rm", "--security-opt", "seccomp=unconfined", id("unconfined"), "--", "sh", "-c", status)).stdout).toMatch(/Seccomp:\s+0\nunshare=0/);
    const file = join(served.scratch, "profile.json");
    writeFileSync(file, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["unshare"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }] }));
    expect((await cli("run", "--rm", "--security-opt", `seccomp=${file}`, id("file"), "--", "sh", "-c", status)).stdout).toMatch(/Seccomp:\s+2\nunshare=1/);
  });

  it("--privileged shows in inspect, and --device brings a host device", async () => {
    const c = id("priv");
    expect((await cli("create", "--privileged", c, "--", "true")).code).toBe(0);
    const [inspected] = JSON.parse((await cli("inspect", c)).stdout) as Array<{ container: { privileged: boolean }; config: { security: { privileged: boolean } } }>;
    expect(inspected?.container.privileged).toBe(true);
    expect(inspected?.config.security.privileged).toBe(true);
    expect((await cli("rm", c)).code).toBe(0);
    const dev = await cli("run", "--rm", "--device", "/dev/null:/dev/berth-null:r", id("dev"), "--", "stat", "-c", "%F %t:%T", "/dev/berth-null");
    expect(dev.stdout.trim()).toBe("character special file 1:3");
  });

  it("an unknown capability or bad profile is the daemon's INVALID_ARGUMENT (exit 67); a bad flag's syntax exits 2", async () => {
    const cap = await cli("run", "--rm", "--cap-add", "NET_WIZARD", id("badcap"), "--", "true");
    expect(cap.code).toBe(67);
    expect(cap.stderr).toMatch(/"NET_WIZARD" is not a capability/);
    const file = join(served.scratch, "bad.json");
    writeFileSync(file, '{"defaultAction":"SCMP_ACT_MAYBE"}');
    const profile = await cli("run", "--rm", "--security-opt", `seccomp=${file}`, id("badprofile"), "--", "true");
    expect(profile.code).toBe(67);
    expect(profile.stderr).toMatch(/defaultAction must be one of/);
    expect((await cli("run", "--rm", "--security-opt", "apparmor=x", id("opt"), "--", "true")).code).toBe(2);
    expect((await cli("run", "--rm", "--device", "/dev/a:/dev/b:rw:x", id("dev2"), "--", "true")).code).toBe(2);
  });

  it("--userns auto runs root inside as a uid of the daemon's subordinate range, shown by inspect; a bad mapping exits 67", async () => {
    const script = "id -u; cat /proc/self/uid_map";
    const r = await cli("run", "--rm", "--userns", "auto:size=2000", id("userns"), "--", "sh", "-c", script);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [uid, map] = r.stdout.trim().split("\n");
    expect(uid).toBe("0");
    const [inside, host, size] = (map ?? "").trim().split(/\s+/).map(Number);
    expect([inside, size]).toEqual([0, 2000]);
    expect(host).toBeGreaterThanOrEqual(1_000_000_000);
    const c = id("userns-inspect");
    expect((await cli("create", "--userns", "auto", c, "--", "true")).code).toBe(0);
    const [inspected] = JSON.parse((await cli("inspect", c)).stdout) as Array<{ container: { userns: { mode: string; uidMappings: Array<{ hostId: number; size: number }> } } }>;
    expect(inspected?.container.userns.mode).toBe("USERNS_MODE_AUTO");
    expect(inspected?.container.userns.uidMappings[0]?.size).toBe(65536);
    expect((await cli("rm", c)).code).toBe(0);
    const bad = await cli("run", "--rm", "--uidmap", "1:2000000000:10", "--gidmap", "0:2000000000:10", id("badmap"), "--", "true");
    expect(bad.code).toBe(67);
    expect(bad.stderr).toMatch(/does not map container id 0/);
  });
});
