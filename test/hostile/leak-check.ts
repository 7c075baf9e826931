// findLeaks lists whatever containers left behind in the state directory
// and on the host: container folders, mounts under the state directory,
// cgroups under the suite's parent in any hierarchy, monitors or runtimes
// naming the state directory. Unlike the test daemon's own check, it runs
// before anything is unmounted or force-removed, so a leak cannot be hidden.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function findLeaks(stateDir: string, cgroupParent: string, extraPaths: string[] = []): string[] {
  const leaks: string[] = [];
  const containers = join(stateDir, "containers");
  if (existsSync(containers)) {
    for (const ns of readdirSync(containers)) {
      for (const id of readdirSync(join(containers, ns))) leaks.push(`folder ${join(containers, ns, id)}`);
    }
  }
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint !== undefined && (mountPoint === stateDir || mountPoint.startsWith(`${stateDir}/`))) leaks.push(`mount ${mountPoint}`);
  }
  for (const hierarchy of readdirSync("/sys/fs/cgroup")) {
    const dir = join("/sys/fs/cgroup", hierarchy, cgroupParent);
    if (existsSync(dir)) leaks.push(`cgroup ${dir}`);
  }
  const ps = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  for (const line of ps.split("\n")) {
    if (line.includes(stateDir) && /conmon|runc/.test(line)) leaks.push(`process ${line.trim().slice(0, 200)}`);
  }
  for (const p of extraPaths) if (existsSync(p)) leaks.push(`host path ${p}`);
  return leaks;
}
