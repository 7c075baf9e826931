import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parseCgroupMounts } from "../../src/cgroup/parse-mountinfo.js";

// Each runc call is bounded so a wedged runtime fails the test, not the run.
const RUNC_TIMEOUT_MS = 20_000;

// All test containers sit under this cgroup parent, one child per container.
const PARENT = "berth-test-cgroup";

export interface TestContainer {
  id: string;
  pid: number;
  // cgroupsPath is the absolute path given to runc, e.g. /berth-test-cgroup/<id>.
  cgroupsPath: string;
  runc(...args: string[]): Promise<void>;
  // destroy kills and deletes the container and removes every dir it made.
  // It is idempotent and never throws for a container already gone.
  destroy(): Promise<void>;
}

export interface ContainerLimits {
  memoryBytes: number;
  pids: number;
}

// startBusyboxContainer runs `sleep 30` in a busybox rootfs under real runc,
// detached, with its own runc root under a temp dir so that it never touches
// containers it did not create.
export async function startBusyboxContainer(id: string, limits: ContainerLimits): Promise<TestContainer> {
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));
  const root = join(dir, "runc");
  const bundle = join(dir, "bundle");
  const log = join(dir, "runc.log");
  const cgroupsPath = `/${PARENT}/${id}`;
  const parents = cgroupParentDirs();
  const preexisting = new Set(parents.filter((p) => existsSync(p)));
  const runc = async (...args: string[]) => {
    await execa("runc", ["--root", root, "--log", log, ...args], { stdio: "ignore", timeout: RUNC_TIMEOUT_MS });
  };
  const destroy = async () => {
    await execa("runc", ["--root", root, "kill", id, "KILL"], { stdio: "ignore", reject: false, timeout: RUNC_TIMEOUT_MS });
    await execa("runc", ["--root", root, "delete", "-f", id], { stdio: "ignore", reject: false, timeout: RUNC_TIMEOUT_MS });
    for (const parent of parents) {
      if (!preexisting.has(parent)) removeEmptyDir(parent);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeRootfs(join(bundle, "rootfs"));
    await execa("runc", ["spec", "--rootless=false"], { cwd: bundle, timeout: RUNC_TIMEOUT_MS });
    editSpec(join(bundle, "config.json"), join(bundle, "rootfs"), cgroupsPath, limits);
    // Detached: runc hands the container its stdio, so a pipe would stay
    // open for the container's life. Its own errors go to --log.
    await runc("run", "-d", "--bundle", bundle, id).catch((err: unknown) => {
      throw new Error(`runc run failed: ${existsSync(log) ? readFileSync(log, "utf8") : ""}`, { cause: err });
    });
    const state = await execa("runc", ["--root", root, "state", id], { timeout: RUNC_TIMEOUT_MS });
    const pid = (JSON.parse(state.stdout) as { pid: number }).pid;
    return { id, pid, cgroupsPath, runc, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

// The dirs where runc will put the shared parent: an absolute cgroupsPath is
// taken from the root of each hierarchy.
function cgroupParentDirs(): string[] {
  const mounts = parseCgroupMounts(readFileSync("/proc/self/mountinfo", "utf8"));
  return mounts.filter((m) => m.root === "/").map((m) => join(m.mountPoint, PARENT));
}

// Another suite may be using the shared parent at the same moment, so a
// parent that is not empty is left for whoever empties it last.
function removeEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "EBUSY") throw err;
  }
}

// writeRootfs makes the smallest rootfs that runs a shell: static busybox.
function writeRootfs(rootfs: string): void {
  for (const sub of ["bin", "proc", "sys", "dev", "tmp"]) mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync("/usr/bin/busybox", join(rootfs, "bin/busybox"));
  symlinkSync("busybox", join(rootfs, "bin/sh"));
}

interface OciSpec {
  process: { args: string[]; terminal: boolean };
  root: { path: string; readonly: boolean };
  linux: { cgroupsPath?: string; resources?: Record<string, unknown> };
}

function editSpec(configPath: string, rootfs: string, cgroupsPath: string, limits: ContainerLimits): void {
  const spec = JSON.parse(readFileSync(configPath, "utf8")) as OciSpec;
  spec.process.args = ["/bin/sh", "-c", "sleep 30"];
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: true };
  spec.linux.cgroupsPath = cgroupsPath;
  spec.linux.resources = {
    ...spec.linux.resources,
    memory: { limit: limits.memoryBytes },
    pids: { limit: limits.pids },
  };
  writeFileSync(configPath, JSON.stringify(spec, null, 2));
}
