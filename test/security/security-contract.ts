// Security defaults and knobs (issue 14) against real runc, through
// whichever Client the suite hands in: the default seccomp profile stops
// what Docker's stops (EPERM) while ordinary work runs, unconfined and own
// profiles change that, capabilities follow cap_add/cap_drop, privileged
// sees the host's devices, devices, tmpfs mounts and the user by name
// reach the container, and every mistake is INVALID_ARGUMENT before runc.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client, CreateOptions } from "../../src/client/client.js";
import { ALL_CAPABILITIES, heldCapabilities } from "../../src/spec/capabilities.js";
import { DEFAULT_CAPABILITIES } from "../../src/spec/spec-defaults.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import type { ContractSetup } from "../contract/client-contract.js";

const SOURCE = join(import.meta.dirname, "syscall-probe.c");
// The probe needs gcc and a static libc; without them the syscall checks
// that busybox cannot make (keyctl, add_key, bpf, perf_event_open) skip.
const probeDir = mkdtempSync(join(tmpdir(), "berth-probe-"));
const hasProbe = (() => {
  try {
    execFileSync("gcc", ["-static", "-O2", "-o", join(probeDir, "probe"), SOURCE], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();
const PROBE_MOUNT = { source: probeDir, destination: "/probe", readOnly: true };
const PROBED = ["keyctl", "add_key", "bpf", "perf_event_open", "mount", "unshare", "clone3"];

// capMask is the CapEff line /proc/self/status shows for a capability set.
function capMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const cap of caps) mask |= 1n << BigInt(ALL_CAPABILITIES.indexOf(cap));
  return mask.toString(16).padStart(16, "0");
}

export function securityContract(name: string, setup: () => Promise<ContractSetup>, teardown: () => Promise<void>): void {
  describe(`security: ${name}`, { timeout: 60_000 }, () => {
    let s: ContractSetup;
    let client: Client;
    const made = new Set<string>();
    const id = (n: string) => {
      const v = s.daemon.id(n);
      made.add(v);
      return v;
    };
    // run starts a container that runs script to its end and returns what it
    // printed and its exit code.
    const run = async (n: string, script: string, options: CreateOptions = {}) => {
      const cid = id(n);
      await client.create(cid, { ...options, process: { args: ["sh", "-c", script] } });
      const exit = await client.wait(cid);
      const lines: string[] = [];
      for await (const l of client.logs(cid)) lines.push(Buffer.from(l.line).toString());
      await client.delete(cid);
      made.delete(cid);
      return { exitCode: exit.exitCode, out: lines.join("\n") };
    };
    const probe = async (n: string, options: CreateOptions = {}) => {
      const { out } = await run(n, `/probe/probe ${PROBED.join(" ")}`, { ...options, mounts: [PROBE_MOUNT] });
      return Object.fromEntries(out.split("\n").map((l) => l.trim().split("=") as [string, string]));
    };
    const field = (out: string, key: string) => out.match(new RegExp(`^${key}:\\s*(\\S+)`, "m"))?.[1];

    beforeAll(async () => {
      s = await setup();
      client = await s.client();
    });

    afterAll(async () => {
      for (const cid of made) await client.delete(cid, { force: true }).catch(() => {});
      await client.close();
      await teardown();
      rmSync(probeDir, { recursive: true, force: true });
    });

    it("a default container runs under seccomp filter mode (Seccomp: 2) and unshare -U fails with EPERM", async () => {
      const { out } = await run("default", "grep Seccomp: /proc/self/status; unshare -U true 2>&1; echo unshare=$?");
      expect(field(out, "Seccomp")).toBe("2");
      expect(out).toMatch(/Operation not permitted/);
      expect(out).toMatch(/unshare=1/);
    });

    it("a normal workload runs under the default profile: a fork+exec loop, threads of a server answering a client", async () => {
      const script = [
        "n=0; for i in $(seq 1 200); do /bin/true && n=$((n+1)); done; echo forks=$n",
        "mkdir -p /www && echo hello > /www/index.html",
        "httpd -p 127.0.0.1:8080 -h /www",
        "for i in $(seq 1 50); do wget -q -O - http://127.0.0.1:8080/index.html 2>/dev/null && break; usleep 100000; done",
        "tar -cf /tmp/a.tar /etc && tar -tf /tmp/a.tar | wc -l | sed 's/^/files=/'",
      ].join("; ");
      const { out, exitCode } = await run("workload", script);
      expect(out).toMatch(/forks=200/);
      expect(out).toMatch(/^hello$/m);
      expect(Number(out.match(/files=(\d+)/)?.[1])).toBeGreaterThan(3);
      expect(exitCode).toBe(0);
    });

    it.skipIf(!hasProbe)("the default profile answers EPERM to keyctl, add_key, bpf, perf_event_open, mount and unshare, and ENOSYS to clone3", async () => {
      const r = await probe("probe-default");
      expect(r).toEqual({ keyctl: "EPERM", add_key: "EPERM", bpf: "EPERM", perf_event_open: "EPERM", mount: "EPERM", unshare: "EPERM", clone3: "ENOSYS" });
    });

    it("unconfined runs without a filter (Seccomp: 0): unshare -U succeeds", async () => {
      const { out } = await run("unconfined", "grep Seccomp: /proc/self/status; unshare -U true; echo unshare=$?", { security: { seccomp: { unconfined: true } } });
      expect(field(out, "Seccomp")).toBe("0");
      expect(out).toMatch(/unshare=0/);
    });

    it.skipIf(!hasProbe)("unconfined lets the same calls reach the kernel: keyctl and add_key succeed, clone3 is no longer ENOSYS", async () => {
      const r = await probe("probe-unconfined", { security: { seccomp: { unconfined: true } } });
      expect(r["keyctl"]).toBe("ok");
      expect(r["add_key"]).toBe("ok");
      expect(r["unshare"]).toBe("ok");
      expect(r["clone3"]).not.toBe("ENOSYS");
    });

    it.skipIf(!hasProbe)("a capability the profile depends on opens its calls: with SYS_ADMIN, mount and unshare pass the filter", async () => {
      const r = await probe("probe-sysadmin", { security: { capAdd: ["SYS_ADMIN"] } });
      expect(r["mount"]).toBe("ok");
      expect(r["unshare"]).toBe("ok");
      // Not a SYS_ADMIN call: still refused.
      expect(r["keyctl"]).toBe("EPERM");
    });

    it.skipIf(!hasProbe)("a caller's own profile is applied as given", async () => {
      const profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["keyctl"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }] };
      const options = { security: { seccomp: { profileJson: new TextEncoder().encode(JSON.stringify(profile)) } } };
      const r = await probe("probe-own", options);
      expect(r["keyctl"]).toBe("EPERM");
      expect(r["add_key"]).toBe("ok");
      const cid = id("own-inspect");
      await client.create(cid, { ...options, start: false, process: { args: ["true"] } });
      const { config } = await client.inspect(cid);
      expect(JSON.parse(new TextDecoder().decode(config.security?.seccomp?.profileJson))).toEqual(profile);
      await client.delete(cid);
    });

    it("cap_add and cap_drop change CapEff, and names are taken in any case with or without CAP_", async () => {
      const { out } = await run("caps", "grep CapEff: /proc/self/status", { security: { capAdd: ["sys_time", "CAP_NET_ADMIN"], capDrop: ["NET_RAW"] } });
      const want = [...DEFAULT_CAPABILITIES.filter((c) => c !== "CAP_NET_RAW"), "CAP_SYS_TIME", "CAP_NET_ADMIN"];
      expect(field(out, "CapEff")).toBe(capMask(want));
      const dropped = await run("caps-all", "grep CapEff: /proc/self/status", { security: { capDrop: ["ALL"], capAdd: ["CHOWN"] } });
      expect(field(dropped.out, "CapEff")).toBe(capMask(["CAP_CHOWN"]));
    });

    it("privileged: every capability, the host's devices, no filter, no masked paths; shown by State and Inspect", async () => {
      const cid = id("privileged");
      await client.create(cid, { security: { privileged: true }, process: { args: ["sh", "-c", "sleep 60"] } });
      expect((await client.state(cid)).privileged).toBe(true);
      const { config, container } = await client.inspect(cid);
      expect(container.privileged).toBe(true);
      expect(config.security?.privileged).toBe(true);
      const { out } = await run("privileged-look", "grep -E 'CapEff|Seccomp:' /proc/self/status; ls /dev; cat /proc/keys >/dev/null 2>&1 && echo keys-readable", {
        security: { privileged: true },
      });
      // All the daemon holds: a host may withhold some (this one CAP_SYS_RESOURCE).
      expect(field(out, "CapEff")).toBe(capMask(heldCapabilities()));
      expect(field(out, "Seccomp")).toBe("0");
      if (existsSync("/dev/loop0")) expect(out).toMatch(/^loop0$/m);
      expect(out).toMatch(/keys-readable/);
      await client.delete(cid, { force: true });
    });

    it.skipIf(!existsSync("/dev/fuse"))("a host device by path appears with its type and numbers, readable as allowed", async () => {
      const script = "stat -c '%F %t:%T' /dev/berth-fuse; exec 3</dev/berth-fuse && echo opened";
      const { out } = await run("device", script, { security: { devices: [{ hostPath: "/dev/fuse", containerPath: "/dev/berth-fuse", permissions: "rw" }] } });
      expect(out).toMatch(/character special file a:e5/);
      expect(out).toMatch(/opened/);
      const plain = await run("no-device", "ls /dev/fuse 2>&1; echo rc=$?");
      expect(plain.out).toMatch(/rc=1/);
    });

    const withheld = ALL_CAPABILITIES.find((c) => !heldCapabilities().includes(c));
    it.skipIf(withheld === undefined)("a capability the daemon's host withholds from it is INVALID_ARGUMENT, not runc's failure", async () => {
      const err = await messageOf(client.create(id("withheld"), { security: { capAdd: [withheld ?? ""] }, process: { args: ["true"] } }));
      expect(err).toMatch(/which this daemon does not hold itself/);
    });

    it("a tmpfs mount with options", async () => {
      const { out } = await run("tmpfs", "grep ' /scratch ' /proc/mounts", { security: { tmpfs: [{ destination: "/scratch", options: ["size=1m", "mode=700"] }] } });
      expect(out).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,.*size=1024k/m);
      expect(out).toMatch(/mode=700/);
    });

    it("the user by name is looked up in the container's /etc/passwd and /etc/group, or given by number", async () => {
      expect((await run("user-name", "id -u; id -g", { security: { user: "nobody" } })).out.split("\n")).toEqual(["65534", "65534"]);
      expect((await run("user-group", "id -u; id -g", { security: { user: "nobody:tty" } })).out.split("\n")).toEqual(["65534", "5"]);
      expect((await run("user-number", "id -u; id -g", { security: { user: "1234:5678" } })).out.split("\n")).toEqual(["1234", "5678"]);
    });

    it("a user or group the container does not list is INVALID_ARGUMENT, and the failed Create leaves nothing", async () => {
      const cid = id("user-unknown");
      expect(await messageOf(client.create(cid, { security: { user: "nosuchuser" }, process: { args: ["true"] } }))).toMatch(/no user "nosuchuser" in the container's \/etc\/passwd/);
      expect(await codeOf(client.create(cid, { security: { user: "nobody:nosuchgroup" }, process: { args: ["true"] } }))).toBe("invalid_argument");
      expect(await codeOf(client.state(cid))).toBe("not_found");
      made.delete(cid);
    });

    it("mistakes are INVALID_ARGUMENT before anything runs: unknown capability, bad profile, bad device or tmpfs, with oci_spec_json", async () => {
      const bad: Array<[CreateOptions["security"], RegExp]> = [
        [{ capAdd: ["NET_WIZARD"] }, /"NET_WIZARD" is not a capability/],
        [{ capDrop: ["chown "] }, /not a capability/],
        [{ seccomp: { profileJson: new TextEncoder().encode('{"defaultAction":"SCMP_ACT_BOGUS"}') } }, /defaultAction must be one of/],
        [{ seccomp: { profileJson: new TextEncoder().encode('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_Z80"]}') } }, /architectures\/0 must be one of/],
        [{ seccomp: { profileJson: new TextEncoder().encode('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["Read!"],"action":"SCMP_ACT_ALLOW"}]}') } }, /system call name/],
        [{ seccomp: { profileJson: new TextEncoder().encode('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_SIMILAR"}]}]}') } }, /op must be one of/],
        [{ seccomp: { profileJson: new TextEncoder().encode("not json") } }, /not valid UTF-8 JSON/],
        [{ seccomp: { unconfined: true, profileJson: new TextEncoder().encode('{"defaultAction":"SCMP_ACT_ALLOW"}') } }, /either unconfined or profile_json/],
        [{ privileged: true, seccomp: { unconfined: true } }, /privileged already runs without seccomp/],
        [{ devices: [{ hostPath: "/etc/passwd" }] }, /not a device node/],
        [{ devices: [{ hostPath: "/dev/null", permissions: "rx" }] }, /letters of "rwm"/],
        [{ devices: [{ hostPath: "dev/null" }] }, /must be an absolute path/],
        [{ tmpfs: [{ destination: "/t", options: ["size=1m,exec"] }] }, /not a tmpfs option/],
        [{ tmpfs: [{ destination: "/proc/x" }] }, /\/proc/],
        [{ user: "a:b:c" }, /must be "user" or "user:group"/],
      ];
      for (const [security, message] of bad) {
        const cid = id("bad");
        const err = await messageOf(client.create(cid, { security, process: { args: ["true"] } }).then(() => client.delete(cid, { force: true })));
        expect(err, JSON.stringify(security)).toMatch(message);
        expect(await codeOf(client.create(cid, { security, process: { args: ["true"] } }))).toBe("invalid_argument");
        made.delete(cid);
      }
      const spec = new TextEncoder().encode(JSON.stringify({ process: { args: ["true"] } }));
      expect(await messageOf(client.create(id("with-spec"), { ociSpecJson: spec, security: { capAdd: ["NET_ADMIN"] } }))).toMatch(/not to oci_spec_json/);
      expect(await codeOf(client.create(id("no-dev"), { security: { devices: [{ hostPath: "/dev/berth-no-such-device" }] }, process: { args: ["true"] } }))).toBe("not_found");
    });
  });
}
