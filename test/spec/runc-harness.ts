// A small harness that runs one container to completion under real runc, for
// the spec and rootfs suites. Each suite makes its own harness (own state
// dir, runc root and id prefix) and calls cleanup() in afterAll.
import { mkdir, mkdtemp, readFile, readdir, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { execa } from "execa";

import type { OciSpec } from "../../src/spec/oci-spec.js";

export const RUNC = "runc";
export const CGROUP_ROOT = "/sys/fs/cgroup";
export const CGROUP_PARENT = "berth-test";

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

export class RuncHarness {
  readonly ids: string[] = [];
  private counter = 0;

  private constructor(
    readonly dir: string,
    readonly prefix: string,
  ) {}

  static async create(suite: string): Promise<RuncHarness> {
    const dir = await mkdtemp(join(tmpdir(), `berth-${suite}-`));
    return new RuncHarness(dir, `${suite}-${process.pid}-`);
  }

  get stateDir(): string {
    return join(this.dir, "state");
  }

  get runcRoot(): string {
    return join(this.dir, "runc");
  }

  nextId(): string {
    const id = `${this.prefix}${++this.counter}`;
    this.ids.push(id);
    return id;
  }

  containerDir(id: string): string {
    return join(this.dir, "containers", id);
  }

  cgroupsPath(id: string): string {
    return `/${CGROUP_PARENT}/${id}`;
  }

  // run writes spec as <containerDir>/bundle/config.json and runs it in the
  // foreground; runc deletes a foreground container when it exits.
  async run(id: string, spec: OciSpec, timeoutMs = 20_000): Promise<RunResult> {
    const bundle = await this.writeBundle(id, spec);
    const result = await execa(RUNC, ["--root", this.runcRoot, "run", "--bundle", bundle, id], {
      stdin: "ignore",
      reject: false,
      timeout: timeoutMs,
      forceKillAfterDelay: 2_000,
    });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  }

  // start runs spec detached (sleeping programs, for runc update and the
  // like); the caller deletes the container.
  async start(id: string, spec: OciSpec): Promise<void> {
    const bundle = await this.writeBundle(id, spec);
    await execa(RUNC, ["--root", this.runcRoot, "run", "--detach", "--bundle", bundle, id], { stdio: "ignore", timeout: 20_000 });
  }

  private async writeBundle(id: string, spec: OciSpec): Promise<string> {
    const bundle = join(this.containerDir(id), "bundle");
    await mkdir(bundle, { recursive: true });
    await writeFile(join(bundle, "config.json"), JSON.stringify(spec, null, 2));
    return bundle;
  }

  async deleteContainer(id: string): Promise<void> {
    const result = await execa(RUNC, ["--root", this.runcRoot, "delete", "--force", id], { stdin: "ignore", reject: false });
    if (result.exitCode !== 0 && !/does not exist|not exist/i.test(result.stderr)) {
      throw new Error(`runc delete ${id} failed: ${result.stderr}`);
    }
  }

  // leftoverCgroups lists the cgroup directories of id that still exist in
  // any v1 hierarchy.
  async leftoverCgroups(id: string): Promise<string[]> {
    const left: string[] = [];
    for (const hierarchy of await readdir(CGROUP_ROOT)) {
      const path = join(CGROUP_ROOT, hierarchy, CGROUP_PARENT, id);
      if (await exists(path)) left.push(path);
    }
    return left;
  }

  // cleanup deletes every container the suite named, its cgroups, the
  // shared test parent cgroup when no other suite uses it, and the dir.
  async cleanup(release: (containerDir: string) => Promise<void>): Promise<void> {
    for (const id of this.ids) {
      await this.deleteContainer(id);
      await release(this.containerDir(id));
      for (const path of await this.leftoverCgroups(id)) await rmdir(path).catch(() => undefined);
    }
    for (const hierarchy of await readdir(CGROUP_ROOT)) {
      // Fails while another suite still has a container there, as it should.
      await rmdir(join(CGROUP_ROOT, hierarchy, CGROUP_PARENT)).catch(() => undefined);
    }
    const mounted = await mountsUnder(this.dir);
    if (mounted.length > 0) throw new Error(`still mounted, not removing ${this.dir}: ${mounted.join(", ")}`);
    await rm(this.dir, { recursive: true, force: true });
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// mountsUnder lists mount points at or below dir (a recursive rm there would
// delete through the mount).
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile("/proc/self/mountinfo", "utf8");
  return table
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
}
