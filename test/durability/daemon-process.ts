// A berth daemon run as a child process (test/fixtures/daemon-main.mjs over
// the built code), so a test can SIGKILL it at any moment and start another
// on the same state directory, as a crash and a supervisor's restart would.
// Each suite gets its own state directory, socket, cgroup parent and
// namespace; finish() removes what is left and fails on any leak.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { GrpcClient } from "../../src/client/grpc-client.js";
import type { Client } from "../../src/client/client.js";
import { Status } from "../../src/client/types.js";
import { checkThenRemove } from "../helpers/test-daemon.js";

const ROOT = resolve(import.meta.dirname, "../..");
const FIXTURE = join(ROOT, "test/fixtures/daemon-main.mjs");

export interface DaemonPlace {
  stateDir: string;
  socketPath: string;
  cgroupParent: string;
  namespace: string;
  id(name: string): string;
}

// daemonPlace picks a suite's own paths.
export function daemonPlace(suite: string): DaemonPlace {
  const tag = `${suite}-${process.pid}-${Date.now().toString(36)}`;
  const stateDir = join(tmpdir(), `berth-test-${tag}`);
  let n = 0;
  return {
    stateDir,
    socketPath: join(stateDir, "berth.sock"),
    cgroupParent: `/berth-test-${tag}`,
    namespace: `ns-${suite}`,
    id: (name) => `${suite}-${name}-${++n}`,
  };
}

export interface StartOptions {
  // failpoint makes the daemon SIGKILL itself there (BERTH_FAILPOINT).
  failpoint?: string;
  monitorPollMs?: number;
  journalMaxEvents?: number;
  // network is the daemon's network settings (default: network none).
  network?: object;
  // subuidRange is the daemon's --subuid-range (START:COUNT).
  subuidRange?: string;
  // logLevel is the daemon's log level (its JSON lines go to stderr).
  logLevel?: string;
}

export class DaemonProcess {
  private stderrText = "";
  private stdoutText = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly place: DaemonPlace,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      if (this.stderrText.length < 64 * 1024) this.stderrText += d;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  // stderr is what the daemon reported (errors it did not throw).
  get stderr(): string {
    return this.stderrText;
  }

  // stdout is what it printed ("ready <pid>", and anything else).
  get stdout(): string {
    return this.stdoutText;
  }

  static async start(place: DaemonPlace, options: StartOptions = {}): Promise<DaemonProcess> {
    const dist = await builtDist();
    await mkdir(place.stateDir, { recursive: true });
    const args = [FIXTURE, "--state-dir", place.stateDir, "--socket", place.socketPath, "--cgroup-parent", place.cgroupParent];
    args.push("--monitor-poll-ms", String(options.monitorPollMs ?? 200));
    if (options.journalMaxEvents !== undefined) args.push("--journal-max-events", String(options.journalMaxEvents));
    if (options.network !== undefined) args.push("--network-json", JSON.stringify(options.network));
    if (options.subuidRange !== undefined) args.push("--subuid-range", options.subuidRange);
    if (options.logLevel !== undefined) args.push("--log-level", options.logLevel);
    const env = { ...process.env, BERTH_DIST: dist, BERTH_FAILPOINT: options.failpoint ?? "" };
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const daemon = new DaemonProcess(child, place);
    const ready = await new Promise<boolean>((resolve) => {
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (daemon.stdoutText.length < 64 * 1024) daemon.stdoutText += d;
        if (out.includes("ready")) resolve(true);
      });
      void daemon.exited.then(() => resolve(false));
    });
    if (!ready) throw new Error(`daemon exited before it served:\n${daemon.stderr}`);
    return daemon;
  }

  // client connects a GrpcClient to the daemon, in the suite's namespace.
  client(): Promise<Client> {
    return GrpcClient.connect({ socketPath: this.place.socketPath, namespace: this.place.namespace });
  }

  // kill sends a signal (SIGKILL by default) and waits for the exit.
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

// finish stops the daemon if one still runs (SIGTERM: its containers run
// on, as when any daemon stops), then checks for leaks BEFORE it cleans
// anything up: a suite must delete every container it made, so a container
// still listed, and anything of one left on the host (mounts, cgroups,
// monitors, runtime state, container folders, exit files), is a leak. Only
// then is it all removed, so one failing suite does not poison the next,
// and finish fails naming each leak.
export async function finish(place: DaemonPlace, daemon?: DaemonProcess): Promise<void> {
  const undeleted: string[] = [];
  if (daemon !== undefined && daemon.child.exitCode === null && daemon.child.signalCode === null) {
    const client = await daemon.client();
    try {
      for (const c of await client.list()) undeleted.push(`container ${c.id} (${Status[c.status]}), never deleted`);
    } finally {
      await client.close();
      await daemon.kill("SIGTERM");
    }
  }
  const found = await checkThenRemove(place.stateDir, place.cgroupParent).then(
    () => [],
    (err: unknown) => [String((err as Error).message).replace(/^the suite leaked:\n/, "")],
  );
  const leaks = [...undeleted, ...found];
  if (leaks.length > 0) throw new Error(`the suite leaked:\n${leaks.join("\n")}`);
}

export interface ContainerPlace {
  stateDir: string;
  namespace: string;
  cgroupParent: string;
}

// leftovers lists, one line each, what the namespace holds of containers
// other than the live ones: container folders, mounts under the state
// directory, cgroups under the cgroup parent, monitors and runc processes,
// runtime state and exit files. It only looks.
export function leftovers(place: ContainerPlace, live: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const ls = (p: string) => (existsSync(p) ? readdirSync(p) : []);
  const containers = join(place.stateDir, "containers", place.namespace);
  for (const id of ls(containers)) if (!live.has(id)) out.push(`container folder ${id}`);
  for (const id of ls(join(place.stateDir, "runc", place.namespace))) if (!live.has(id)) out.push(`runc state ${id}`);
  for (const id of ls(join(place.stateDir, "exits", place.namespace))) if (!live.has(id)) out.push(`exit file ${id}`);
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint === undefined || !mountPoint.startsWith(`${place.stateDir}/`)) continue;
    const id = mountPoint.startsWith(`${containers}/`) ? mountPoint.slice(containers.length + 1).split("/")[0]! : "";
    if (!live.has(id)) out.push(`mount ${mountPoint}`);
  }
  for (const ctrl of readdirSync("/sys/fs/cgroup")) {
    const base = join("/sys/fs/cgroup", ctrl, place.cgroupParent);
    if (!existsSync(base) || !statSync(base).isDirectory()) continue;
    const nsDir = join(base, place.namespace);
    const ids = existsSync(nsDir) ? readdirSync(nsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
    for (const id of ids) if (!live.has(id)) out.push(`cgroup ${join(nsDir, id)}`);
    // The parents must go with the last container.
    if (live.size === 0) out.push(`cgroup ${base}`);
  }
  const ps = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  for (const line of ps.split("\n")) {
    if (!line.includes(place.stateDir) || !/conmon|runc/.test(line)) continue;
    const id = /(?:^|\s)-c (\S+)/.exec(line)?.[1];
    if (id === undefined || !live.has(id)) out.push(`process ${line.trim()}`);
  }
  return out;
}

let distPromise: Promise<string> | undefined;

// builtDist returns a folder of compiled code no older than src/: the
// repository's dist/ when `npm run build` is fresh, else a private build
// under node_modules/.cache (inside the tree, so bare imports resolve).
// Each private build goes to a folder of its own, named by when it began,
// and is never rewritten: a suite keeps the folder it got while other
// suites, run meanwhile on newer sources, build the next one.
export function builtDist(): Promise<string> {
  distPromise ??= (async () => {
    const newestSource = newestMtime(join(ROOT, "src"));
    const repoDist = join(ROOT, "dist");
    if ((await mtimeOf(join(repoDist, "remote/remote.js"))) >= newestSource) return repoDist;
    const cache = join(ROOT, "node_modules/.cache/berth-durability");
    const lock = join(cache, "build.lock");
    await mkdir(cache, { recursive: true });
    for (;;) {
      try {
        await mkdir(lock);
        break;
      } catch {
        // Another suite is building: wait for it, unless it died long ago.
        if (Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? 0) > 180_000) await rmdir(lock).catch(() => {});
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    try {
      // A build counts from when it began: a source saved while it ran is
      // newer, and gets the next build.
      const builds = readdirSync(cache).filter((name) => /^dist-\d+$/.test(name)).sort();
      const newest = builds.at(-1);
      if (newest !== undefined && Number(newest.slice(5)) >= newestMtime(join(ROOT, "src"))) return join(cache, newest);
      const began = Date.now();
      const out = join(cache, `dist-${began}`);
      // Type errors elsewhere in the tree (work in progress) still emit
      // JavaScript; only a build that emitted nothing fails the suite.
      spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(ROOT, "tsconfig.build.json"), "--outDir", `${out}.partial`], { stdio: "ignore" });
      if ((await mtimeOf(join(`${out}.partial`, "remote/remote.js"))) === 0) throw new Error("could not build the daemon: run `npm run build` to see why");
      await rename(`${out}.partial`, out);
      // Builds an hour old serve no suite still running.
      for (const old of builds) if (began - Number(old.slice(5)) > 3_600_000) await rm(join(cache, old), { recursive: true, force: true });
      return out;
    } finally {
      await rmdir(lock).catch(() => {});
    }
  })();
  return distPromise;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

async function mtimeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;
}
