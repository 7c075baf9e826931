// The pieces of SecurityOptions that need no runc: the default seccomp
// profile as made for a capability set and a host, a caller's profile
// checked, capability names and sets, the user looked up in a root
// filesystem's account files, devices read from the host.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { normalizeCapabilities, tweakCapabilities } from "../../src/spec/capabilities.js";
import { parseUserRef, resolveUser } from "../../src/spec/container-user.js";
import { buildDefaultSpec } from "../../src/spec/default-spec.js";
import { resolveDevices } from "../../src/spec/host-devices.js";
import { compatAbisOf } from "../../src/spec/compat-abis.js";
import { CLONE_NAMESPACE_FLAGS } from "../../src/spec/seccomp-default-rules.js";
import { defaultSeccompProfile, kernelAtLeast, parseSeccompProfile } from "../../src/spec/seccomp-profile.js";
import { checkSecurityOptions } from "../../src/spec/security-options.js";
import { DEFAULT_CAPABILITIES } from "../../src/spec/spec-defaults.js";

const X64 = { arch: "x64", kernel: "6.1.0-18-amd64" };
const rulesFor = (names: string, profile = defaultSeccompProfile(DEFAULT_CAPABILITIES, X64)) => profile.syscalls?.filter((s) => s.names.includes(names)) ?? [];
const allowed = (name: string, profile = defaultSeccompProfile(DEFAULT_CAPABILITIES, X64)) => rulesFor(name, profile).some((s) => s.action === "SCMP_ACT_ALLOW" && s.args === undefined);

describe("the default seccomp profile", () => {
  it("leaves SCMP_ARCH_X32 out on a kernel that runs no x32 code, where it would only cost runc compile time", () => {
    expect(defaultSeccompProfile(DEFAULT_CAPABILITIES, { ...X64, x32: false }).architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]);
    expect(defaultSeccompProfile(DEFAULT_CAPABILITIES, { ...X64, x32: true }).architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  });

  it("leaves SCMP_ARCH_X86 out on a kernel that runs no 32-bit code (ia32 emulation built out, or off), and keeps it where it may", () => {
    expect(defaultSeccompProfile(DEFAULT_CAPABILITIES, { ...X64, x32: false, ia32: false }).architectures).toEqual(["SCMP_ARCH_X86_64"]);
    expect(defaultSeccompProfile(DEFAULT_CAPABILITIES, { ...X64, x32: false, ia32: true }).architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]);
    expect(defaultSeccompProfile(DEFAULT_CAPABILITIES, { arch: "arm64", kernel: "6.1.0", ia32: false }).architectures).toEqual(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
  });

  it("reads which compatibility ABIs the kernel runs from its configuration and command line", () => {
    const both = "CONFIG_IA32_EMULATION=y\nCONFIG_X86_X32_ABI=y\n";
    expect(compatAbisOf(undefined, "")).toEqual({ ia32: true, x32: true });
    expect(compatAbisOf(both, "quiet")).toEqual({ ia32: true, x32: true });
    expect(compatAbisOf("# CONFIG_IA32_EMULATION is not set\n# CONFIG_X86_X32_ABI is not set\n", "ia32_emulation=1 syscall.x32=y")).toEqual({ ia32: false, x32: false });
    expect(compatAbisOf(both, "ia32_emulation=false syscall.x32=N")).toEqual({ ia32: false, x32: false });
    const offByDefault = "CONFIG_IA32_EMULATION=y\nCONFIG_IA32_EMULATION_DEFAULT_DISABLED=y\nCONFIG_X86_X32=y\nCONFIG_X86_X32_DISABLED=y\n";
    expect(compatAbisOf(offByDefault, "")).toEqual({ ia32: false, x32: false });
    expect(compatAbisOf(offByDefault, "ia32_emulation=on syscall.x32=1")).toEqual({ ia32: true, x32: true });
  });

  it("is made once per capability set and host, and frozen, so no spec holding it can change the next one", () => {
    const a = defaultSeccompProfile(DEFAULT_CAPABILITIES, X64);
    expect(defaultSeccompProfile([...DEFAULT_CAPABILITIES].reverse(), X64)).toBe(a);
    expect(defaultSeccompProfile([...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"], X64)).not.toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.syscalls) && Object.isFrozen(a.syscalls?.[0]?.names)).toBe(true);
    expect(() => (a.syscalls as unknown[]).push({})).toThrow(TypeError);
  });

  it("is Docker's: EPERM by default, the x86-64 architectures, the allowlist without keyctl, add_key, bpf, mount, unshare", () => {
    const profile = defaultSeccompProfile(DEFAULT_CAPABILITIES, X64);
    expect(profile.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(profile.defaultErrnoRet).toBe(1);
    expect(profile.architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    for (const name of ["read", "execve", "fork", "socketpair", "arch_prctl", "modify_ldt", "ptrace", "chroot", "io_uring_setup"]) expect(allowed(name), name).toBe(true);
    for (const name of ["keyctl", "add_key", "request_key", "bpf", "perf_event_open", "mount", "umount2", "unshare", "setns", "reboot", "init_module", "kexec_load", "open_by_handle_at", "settimeofday", "userfaultfd"]) {
      expect(allowed(name), name).toBe(false);
    }
    // Other architectures' own calls are left out.
    expect(rulesFor("s390_runtime_instr")).toEqual([]);
    expect(rulesFor("set_tls")).toEqual([]);
  });

  it("lets clone make no namespace, answers clone3 with ENOSYS and socket(AF_VSOCK) and unsafe personalities with EPERM", () => {
    expect(rulesFor("clone")).toEqual([{ names: ["clone"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: "SCMP_CMP_MASKED_EQ" }] }]);
    expect(CLONE_NAMESPACE_FLAGS).toBe(2114060288);
    expect(rulesFor("clone3")).toEqual([{ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }]);
    expect(rulesFor("socket")).toEqual([{ names: ["socket"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 40, op: "SCMP_CMP_NE" }] }]);
    expect(rulesFor("personality").map((r) => r.args?.[0]?.value)).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff]);
  });

  it("allows a capability's calls only with that capability: SYS_ADMIN frees clone, clone3, mount; SYS_TIME settimeofday", () => {
    const profile = defaultSeccompProfile([...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN", "CAP_SYS_TIME", "CAP_BPF"], X64);
    for (const name of ["mount", "unshare", "setns", "clone", "clone3", "settimeofday", "bpf", "perf_event_open"]) expect(allowed(name, profile), name).toBe(true);
    expect(rulesFor("clone3", profile).some((r) => r.action === "SCMP_ACT_ERRNO")).toBe(false);
    expect(allowed("keyctl", profile)).toBe(false);
    expect(allowed("chroot", defaultSeccompProfile(DEFAULT_CAPABILITIES.filter((c) => c !== "CAP_SYS_CHROOT"), X64))).toBe(false);
  });

  it("follows the host: arm64's architectures and calls, ptrace only from kernel 4.8", () => {
    const arm = defaultSeccompProfile(DEFAULT_CAPABILITIES, { arch: "arm64", kernel: "5.10.0" });
    expect(arm.architectures).toEqual(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
    expect(allowed("set_tls", arm)).toBe(true);
    expect(allowed("arch_prctl", arm)).toBe(false);
    expect(allowed("ptrace", defaultSeccompProfile(DEFAULT_CAPABILITIES, { arch: "x64", kernel: "4.4.0" }))).toBe(false);
    expect(kernelAtLeast("4.10.1", "4.8")).toBe(true);
    expect(kernelAtLeast("4.7.9", "4.8")).toBe(false);
    expect(kernelAtLeast("10.0", "4.8")).toBe(true);
  });

  it("is in every spec berth builds, made for its capabilities, and absent for unconfined and privileged", () => {
    const base = { process: { args: ["sh"] }, rootfsPath: "/r" };
    expect(buildDefaultSpec(base).linux?.seccomp?.defaultAction).toBe("SCMP_ACT_ERRNO");
    const admin = buildDefaultSpec({ ...base, security: { checked: checkSecurityOptions({ capAdd: ["SYS_ADMIN"] }) } });
    expect(allowed("mount", admin.linux?.seccomp)).toBe(true);
    expect(buildDefaultSpec({ ...base, security: { checked: checkSecurityOptions({ seccomp: { unconfined: true } }) } }).linux?.seccomp).toBeUndefined();
    const privileged = buildDefaultSpec({ ...base, security: { checked: checkSecurityOptions({ privileged: true }) } });
    expect(privileged.linux?.seccomp).toBeUndefined();
    expect(privileged.linux?.maskedPaths).toBeUndefined();
    expect(privileged.mounts?.find((m) => m.destination === "/sys")?.options).not.toContain("ro");
  });
});

describe("a caller's seccomp profile", () => {
  const parse = (value: unknown) => () => parseSeccompProfile(new TextEncoder().encode(JSON.stringify(value)));
  it("takes a valid profile as given and refuses what runc would", () => {
    const ok = { defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"], syscalls: [{ names: ["read", "_llseek"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }] }] };
    expect(parse(ok)()).toEqual(ok);
    expect(parse({})).toThrow(/must have the field "defaultAction"/);
    expect(parse({ defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG"] })).toThrow(/flags must NOT have more than 0 items/);
    expect(parse({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ALLOW" }] })).toThrow(/names must NOT have fewer than 1 items/);
    expect(parse({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["x"], action: "SCMP_ACT_NOTIFY" }] })).toThrow(/listenerPath/);
    expect(parse({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["x"], action: "SCMP_ACT_ALLOW", args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }] }] })).toThrow(/arguments 0 to 5/);
    expect(parse([1])).toThrow(/must be a JSON object/);
  });
});

describe("capabilities", () => {
  it("takes names in any case with or without CAP_, and ALL; refuses the unknown", () => {
    expect(normalizeCapabilities("f", ["net_admin", "CAP_SYS_TIME", "Chown", "all"])).toEqual(["CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_CHOWN", "ALL"]);
    expect(() => normalizeCapabilities("security.cap_add", ["CAP_FLY"])).toThrow(/security.cap_add\[0\] "CAP_FLY" is not a capability/);
    expect(() => normalizeCapabilities("f", new Array(65).fill("CHOWN"))).toThrow(/65/);
  });

  it("applies drops then adds on Docker's rules", () => {
    expect(tweakCapabilities(["CAP_CHOWN", "CAP_KILL"], ["CAP_NET_ADMIN"], ["CAP_KILL"])).toEqual(["CAP_CHOWN", "CAP_NET_ADMIN"]);
    expect(tweakCapabilities(["CAP_CHOWN", "CAP_KILL"], ["CAP_KILL"], ["ALL"])).toEqual(["CAP_KILL"]);
    expect(tweakCapabilities(["CAP_CHOWN"], ["CAP_CHOWN"], ["CAP_CHOWN"])).toEqual(["CAP_CHOWN"]);
    expect(tweakCapabilities(["CAP_CHOWN"], ["ALL"], ["CAP_CHOWN"])).not.toContain("CAP_CHOWN");
    expect(tweakCapabilities(["CAP_CHOWN"], ["ALL"], [])).toContain("CAP_SYS_ADMIN");
  });
});

describe("the user by name", () => {
  const root = mkdtempSync(join(tmpdir(), "berth-user-"));
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n# comment\napp:x:1000:1000::/home/app:/bin/sh\nbad::x:y\nempty::::\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\napp:x:1000:\nwheel:x:10:app,other\naudio:x:29:app\n");
  const evil = mkdtempSync(join(tmpdir(), "berth-user-evil-"));
  mkdirSync(join(evil, "etc"));
  symlinkSync("/etc/passwd", join(evil, "etc/passwd"));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(evil, { recursive: true, force: true });
  });

  it("resolves names and numbers, with the user's groups from /etc/group", async () => {
    expect(await resolveUser(root, parseUserRef("u", "app"))).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 29] });
    expect(await resolveUser(root, parseUserRef("u", "app:wheel"))).toEqual({ uid: 1000, gid: 10 });
    expect(await resolveUser(root, parseUserRef("u", "1000"))).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 29] });
    expect(await resolveUser(root, parseUserRef("u", "4242:77"))).toEqual({ uid: 4242, gid: 77 });
    await expect(resolveUser(root, parseUserRef("u", "nobody"))).rejects.toThrow(/no user "nobody"/);
    // A line with an empty uid is no account, never root.
    await expect(resolveUser(root, parseUserRef("u", "empty"))).rejects.toThrow(/no user "empty"/);
    await expect(resolveUser(root, parseUserRef("u", "app:staff"))).rejects.toThrow(/no group "staff"/);
  });

  it("refuses account files that lead out of the root filesystem, and malformed references", async () => {
    await expect(resolveUser(evil, parseUserRef("u", "root"))).rejects.toThrow(/leads outside its root filesystem/);
    expect(() => parseUserRef("u", "a b")).toThrow(/must be "user" or "user:group"/);
    expect(() => parseUserRef("u", "9999999999")).toThrow(/over/);
  });
});

describe("devices and tmpfs", () => {
  it("reads a host device's type and numbers, and refuses what is not a device", async () => {
    const checked = checkSecurityOptions({ devices: [{ hostPath: "/dev/null", containerPath: "/dev/n2", permissions: "r" }] });
    const { devices, rules } = await resolveDevices(checked.devices, false);
    expect(devices).toEqual([expect.objectContaining({ path: "/dev/n2", type: "c", major: 1, minor: 3 })]);
    expect(rules).toEqual([{ allow: true, type: "c", major: 1, minor: 3, access: "r" }]);
    await expect(resolveDevices(checkSecurityOptions({ devices: [{ hostPath: "/etc" }] }).devices, false)).rejects.toThrow(/not a device node/);
  });

  it("gives a tmpfs Docker's default flags, with the caller's after them", () => {
    const [mount] = checkSecurityOptions({ tmpfs: [{ destination: "/run/" }, { destination: "/x", options: ["exec", "size=64m"] }] }).tmpfs;
    expect(mount).toEqual({ destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec"] });
    expect(checkSecurityOptions({ tmpfs: [{ destination: "/x", options: ["exec", "size=64m"] }] }).tmpfs[0]?.options).toEqual(["nosuid", "nodev", "noexec", "exec", "size=64m"]);
    expect(() => buildDefaultSpec({ process: { args: ["sh"] }, rootfsPath: "/r", mounts: [{ source: "/tmp", destination: "/x" }], security: { checked: checkSecurityOptions({ tmpfs: [{ destination: "/x" }] }) } })).toThrow(
      /two mounts have the destination "\/x"/,
    );
  });
});
