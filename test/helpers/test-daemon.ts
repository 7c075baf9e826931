// A daemon of the suite's own: its state directory, socket, cgroup parent
// and namespace are unique to the suite and process, so suites run in
// parallel as root on a shared host and never touch what they did not
// create.
//
// stop() stops the daemon (remote.cleanup(), which leaves containers
// running, as a daemon that stops does), then checks for leaks BEFORE it
// cleans anything up: a suite must delete every container it made, so
// whatever is left (a mount, a cgroup, a monitor or runtime process, a
// container folder, runc state, an exit file) is a leak and fails the suite,
// each one named. Only then does it remove what was left, so one failing
// suite does not poison the host for the next.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Remote, type RemoteOptions } from "../../src/remote/remote.js";

export interface TestDaemon {
  remote: Remote;
  stateDir: string;
  socketPath: string;
  cgroupParent: string;
  namespace: string;
  // id makes a container id unique to the suite.
  id(name: string): string;
  // stop stops the daemon, fails naming every leak, and removes what leaked.
  stop(): Promise<void>;
}

export async function startTestDaemon(suite: string, options: RemoteOptions = {}): Promise<TestDaemon> {
  const tag = `${suite}-${process.pid}-${Date.now().toString(36)}`;
  const stateDir = join(tmpdir(), `berth-test-${tag}`);
  const socketPath = join(stateDir, "berth.sock");
  const cgroupParent = `/berth-test-${tag}`;
  // Network none unless the suite sets its own networks: the suites that
  // test networking give their own default network (test/fixtures/
  // test-network.ts), so parallel suites never share a bridge or a subnet,
  // and the rest stay as fast as loopback-only containers are.
  const remote = await Remote.start({ stateDir, socketPath, cgroupParent, network: { defaultNetwork: "none" }, ...options });
  let n = 0;
  return {
    remote,
    stateDir,
    socketPath,
    cgroupParent,
    namespace: `ns-${suite}`,
    id: (name) => `${suite}-${name}-${++n}`,
    async stop() {
      await remote.cleanup();
      await checkThenRemove(stateDir, cgroupParent);
    },
  };
}

// checkThenRemove finds the leaks under a suite's state directory and cgroup
// parent, removes them, and then throws naming each one (if any).
export async function checkThenRemove(stateDir: string, cgroupParent: string): Promise<void> {
  const leaks = await settledLeaks(stateDir, cgroupParent);
  await removeLeftovers(stateDir, cgroupParent);
  await rm(stateDir, { recursive: true, force: true });
  if (leaks.length > 0) throw new Error(`the suite leaked:\n${leaks.join("\n")}`);
}

// settledLeaks is findLeaks, given a short grace to come up empty: a
// monitor that has written its exit file may take a moment more to exit,
// and that is not a leak. Whatever is still there after the grace is one.
async function settledLeaks(stateDir: string, cgroupParent: string, graceMs = 2000): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  let leaks = findLeaks(stateDir, cgroupParent);
  while (leaks.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    leaks = findLeaks(stateDir, cgroupParent);
  }
  return leaks;
}

// assertNothingLeaked fails, naming each leak, if anything of a container
// outlived the suite. It only looks; removeLeftovers cleans up.
export function assertNothingLeaked(stateDir: string, cgroupParent: string): void {
  const leaks = findLeaks(stateDir, cgroupParent);
  if (leaks.length > 0) throw new Error(`the suite leaked:\n${leaks.join("\n")}`);
}

// findLeaks lists, one line each, what a suite that deleted every
// container it made would not have left: mounts under the state directory,
// cgroups under the cgroup parent in any hierarchy, processes whose command
// line names the state directory (conmon, runc, anything), container
// folders, runc state and exit files, and of networking: IPAM reservations,
// cached CNI results, networks not removed (each a bridge on the host) and
// the firewall rules of those networks' bridges. A leaked namespace is a
// mount under the state directory, and a veth lives only as long as it.
export function findLeaks(stateDir: string, cgroupParent: string): string[] {
  const leaks: string[] = [...networkLeaks(stateDir)];
  for (const mountPoint of mountsUnder(stateDir)) leaks.push(`mount ${mountPoint}`);
  // One line per cgroup path, naming the hierarchies that hold it.
  const cgroups = new Map<string, { hierarchies: string[]; pids: Set<number> }>();
  for (const { hierarchy, dir } of cgroupsUnder(cgroupParent)) {
    const path = dir.slice(dir.indexOf(cgroupParent));
    const entry = cgroups.get(path) ?? { hierarchies: [], pids: new Set<number>() };
    entry.hierarchies.push(hierarchy);
    for (const pid of pidsOfCgroup(dir)) entry.pids.add(pid);
    cgroups.set(path, entry);
  }
  for (const [path, { hierarchies, pids }] of cgroups) {
    leaks.push(`cgroup ${path} in ${hierarchies.join(", ")}${pids.size > 0 ? `; pids ${[...pids].join(", ")}` : ""}`);
  }
  for (const p of processesNaming(stateDir)) leaks.push(`process ${p.pid}: ${p.args}`);
  for (const [what, folder] of [
    ["container folder", "containers"],
    ["runc state", "runc"],
    ["exit file", "exits"],
  ] as const) {
    for (const ns of entries(join(stateDir, folder))) {
      for (const name of entries(join(stateDir, folder, ns))) leaks.push(`${what} ${folder}/${ns}/${name}`);
    }
  }
  return leaks;
}

// removeLeftovers kills and deletes what a suite left, straight through
// runc and the kernel, so a failed suite does not leak into the host.
export async function removeLeftovers(stateDir: string, cgroupParent: string): Promise<void> {
  for (const ns of entries(join(stateDir, "runc"))) {
    const root = join(stateDir, "runc", ns);
    for (const id of entries(root)) {
      try {
        execFileSync("runc", ["--root", root, "delete", "--force", id], { stdio: "ignore" });
      } catch {
        // already gone, or runc cannot read it: the cgroup kill below ends its processes
      }
    }
  }
  for (const p of processesNaming(stateDir)) killQuietly(p.pid);
  for (const { dir } of cgroupsUnder(cgroupParent)) for (const pid of pidsOfCgroup(dir)) killQuietly(pid);
  // Deepest first, so a mount inside another comes off before it.
  for (const mountPoint of mountsUnder(stateDir).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync("umount", ["-l", mountPoint], { stdio: "ignore" });
    } catch {
      // raced with another unmount
    }
  }
  // A killed process leaves its cgroup only once it is reaped: retry a while.
  const deadline = Date.now() + 5000;
  for (;;) {
    const left = cgroupsUnder(cgroupParent);
    for (const { dir } of left.sort((a, b) => b.dir.length - a.dir.length)) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty yet
      }
    }
    if (cgroupsUnder(cgroupParent).length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function networkLeaks(stateDir: string): string[] {
  const leaks: string[] = [];
  const ipam = join(stateDir, "cni", "ipam");
  for (const net of entries(ipam)) {
    for (const name of entries(join(ipam, net))) {
      if (name !== "lock" && !name.startsWith("last_reserved_ip")) leaks.push(`IPAM reservation ${net}/${name}`);
    }
  }
  for (const name of entries(join(stateDir, "cni", "results"))) leaks.push(`CNI result cache ${name}`);
  const bridges: string[] = [];
  for (const name of entries(join(stateDir, "networks"))) {
    try {
      const def = JSON.parse(readFileSync(join(stateDir, "networks", name), "utf8")) as { name: string; bridge: string };
      leaks.push(`network ${def.name} (bridge ${def.bridge}) not removed`);
      bridges.push(def.bridge);
    } catch {
      leaks.push(`network file ${name}`);
    }
  }
  if (bridges.length > 0) {
    const rules = iptablesRules();
    for (const b of bridges) for (const r of rules.filter((l) => l.includes(` ${b} `) || l.endsWith(` ${b}`) || l.includes(`BERTH-MASQ-${b}`))) leaks.push(`iptables rule ${r}`);
  }
  return leaks;
}

// iptablesRules lists the host's IPv4 and IPv6 rules (iptables-save,
// ip6tables-save), or none where iptables is not installed.
export function iptablesRules(): string[] {
  return ["iptables-save", "ip6tables-save"].flatMap((save) => {
    try {
      return execFileSync(save, [], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n").filter((l) => l.startsWith("-A "));
    } catch {
      return [];
    }
  });
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

interface MountInfo {
  mountPoint: string;
  fsType: string;
}

function mountInfo(): MountInfo[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const fields = line.split(" ");
      const dash = fields.indexOf("-");
      return { mountPoint: unescapeMount(fields[4] ?? ""), fsType: fields[dash + 1] ?? "" };
    });
}

// mountinfo escapes space, tab, newline and backslash as octal.
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

function mountsUnder(stateDir: string): string[] {
  return mountInfo()
    .map((m) => m.mountPoint)
    .filter((p) => isUnder(p, stateDir));
}

// cgroupsUnder lists every cgroup at or below the parent, in every
// hierarchy mounted (v1 controllers, named hierarchies and v2), both at the
// hierarchy's root and below this process's own cgroup in it (where a
// runtime that nests under its caller, as on some hybrid hosts, puts it).
function cgroupsUnder(cgroupParent: string): { hierarchy: string; dir: string }[] {
  const own = ownCgroups();
  const found: { hierarchy: string; dir: string }[] = [];
  const seen = new Set<string>();
  for (const m of mountInfo()) {
    if (m.fsType !== "cgroup" && m.fsType !== "cgroup2") continue;
    const hierarchy = m.mountPoint.slice(m.mountPoint.lastIndexOf("/") + 1) || m.mountPoint;
    const bases = [m.mountPoint];
    const mine = own.get(hierarchyKey(m.mountPoint, m.fsType));
    if (mine !== undefined && mine !== "/") bases.push(join(m.mountPoint, mine));
    for (const base of bases) {
      const top = join(base, cgroupParent);
      if (seen.has(top) || !existsSync(top)) continue;
      seen.add(top);
      const walk = (dir: string) => {
        found.push({ hierarchy, dir });
        for (const e of subdirectories(dir)) walk(join(dir, e));
      };
      walk(top);
    }
  }
  return found;
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

// hierarchyKey names a hierarchy as /proc/self/cgroup does: its
// controllers (from the mount's super options, here guessed from the mount
// point's name) or "" for v2.
function hierarchyKey(mountPoint: string, fsType: string): string {
  if (fsType === "cgroup2") return "";
  const name = mountPoint.slice(mountPoint.lastIndexOf("/") + 1);
  return name === "systemd" ? "name=systemd" : name;
}

function ownCgroups(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m === null) continue;
    for (const key of m[1]!.split(",")) map.set(key, m[2]!);
    if (m[1] === "") map.set("", m[2]!);
  }
  return map;
}

function pidsOfCgroup(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map(Number);
  } catch {
    return [];
  }
}

// processesNaming lists the processes whose command line or working
// directory is under the state directory: conmon (--exit-dir, --log-path),
// runc (--root), or anything else the suite started there.
function processesNaming(stateDir: string): { pid: number; args: string }[] {
  const found: { pid: number; args: string }[] = [];
  for (const name of entries("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let args: string;
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      continue;
    }
    let cwd = "";
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // exited, or a kernel thread
    }
    if (args.includes(stateDir) || isUnder(cwd, stateDir)) found.push({ pid, args });
  }
  return found;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
