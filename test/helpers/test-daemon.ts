// A daemon of the suite's own: its state directory, socket, cgroup parent
// and namespace are unique to the suite and process, so suites run in
// parallel as root on a shared host and never touch what they did not
// create. stop() removes every container the suite left and then checks
// that nothing leaked: no runtime state, no mount, no cgroup, no monitor.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
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
  stop(): Promise<void>;
}

export async function startTestDaemon(suite: string, options: RemoteOptions = {}): Promise<TestDaemon> {
  const tag = `${suite}-${process.pid}-${Date.now().toString(36)}`;
  const stateDir = join(tmpdir(), `berth-test-${tag}`);
  const socketPath = join(stateDir, "berth.sock");
  const cgroupParent = `/berth-test-${tag}`;
  const remote = await Remote.start({ stateDir, socketPath, cgroupParent, ...options });
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
      await forceRemoveAll(stateDir);
      assertNothingLeaked(stateDir, cgroupParent);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

// forceRemoveAll kills and deletes whatever containers a failed test left,
// straight through runc, so one failure does not leak into the host.
async function forceRemoveAll(stateDir: string): Promise<void> {
  const runcRoots = join(stateDir, "runc");
  if (!existsSync(runcRoots)) return;
  for (const ns of readdirSync(runcRoots)) {
    const root = join(runcRoots, ns);
    for (const id of readdirSync(root)) {
      try {
        execFileSync("runc", ["--root", root, "delete", "--force", id], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
  }
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint?.startsWith(stateDir)) {
      try {
        execFileSync("umount", ["-l", mountPoint], { stdio: "ignore" });
      } catch {
        // raced with another unmount
      }
    }
  }
}

// assertNothingLeaked fails the suite if a container outlived its tests.
export function assertNothingLeaked(stateDir: string, cgroupParent: string): void {
  const leaks: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint?.startsWith(stateDir)) leaks.push(`mount ${mountPoint}`);
  }
  for (const ctrl of readdirSync("/sys/fs/cgroup")) {
    const dir = join("/sys/fs/cgroup", ctrl, cgroupParent);
    if (existsSync(dir)) leaks.push(`cgroup ${dir}`);
  }
  const ps = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  for (const line of ps.split("\n")) if (line.includes("conmon") && line.includes(stateDir)) leaks.push(`monitor ${line.trim()}`);
  if (leaks.length > 0) throw new Error(`the suite leaked:\n${leaks.join("\n")}`);
}
