// The hostile suite's daemon, in a process of its own as a real daemon is
// (test/fixtures/daemon-main.mjs over the built code, as the durability
// suites run it; builtDist() builds it when dist/ is older than src/). Its
// state directory, socket, cgroup parent and namespace are the suite's own.
// The daemon's every runc, conmon or umount spawn forks only the daemon, not
// the test process, so the Ping probe measures the daemon's own stalls.
//
// stop() stops the daemon with SIGTERM (it cleans up as `berth serve` does,
// leaving containers running), then fails naming any leak under its state
// directory and cgroup parent (checkThenRemove), after removing it.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { removeBridge } from "../../src/network/bridge-cleanup.js";
import { builtDist, daemonPlace } from "../durability/daemon-process.js";
import { testNetwork, type TestNetwork } from "../fixtures/test-network.js";
import { checkThenRemove } from "../helpers/test-daemon.js";

const ROOT = resolve(import.meta.dirname, "../..");
const MAIN = join(ROOT, "test/fixtures/daemon-main.mjs");
const STALL_HOOK = fileURLToPath(new URL("./daemon-stall-hook.mjs", import.meta.url));

// HOSTILE_ALLOWED_REGISTRY is the one registry the hostile daemon may
// reach; the cases never name it.
export const HOSTILE_ALLOWED_REGISTRY = "allowed.invalid:1";

export interface HostileDaemonOptions {
  // stallRpc arms daemon-stall-hook.mjs: every call of that path (e.g.
  // "/berth.v1.SystemService/Version") busy-loops the daemon for stallMs.
  // BERTH_HOSTILE_STALL_RPC and BERTH_HOSTILE_STALL_MS do the same for a
  // whole run, as a manual check that the probe fails.
  stallRpc?: string;
  stallMs?: number;
}

export interface HostileDaemon {
  pid: number;
  stateDir: string;
  socketPath: string;
  cgroupParent: string;
  namespace: string;
  // network is the daemon's default network, the suite's own; a container
  // joins it only by naming it (the default is network none).
  network: TestNetwork;
  // id makes a container id unique to the suite.
  id(name: string): string;
  // exitText says how the daemon exited, undefined while it runs.
  exitText(): string | undefined;
  // stderr is what the daemon reported (errors it did not throw).
  stderr(): string;
  // rssMb is the daemon's resident size now (what each of its forks copies).
  rssMb(): number;
  stop(): Promise<void>;
}

export async function startHostileDaemon(suite: string, options: HostileDaemonOptions = {}): Promise<HostileDaemon> {
  const place = daemonPlace(suite);
  const dist = await builtDist();
  await mkdir(place.stateDir, { recursive: true });
  const stallRpc = options.stallRpc ?? process.env.BERTH_HOSTILE_STALL_RPC ?? "";
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_DIST: dist, BERTH_FAILPOINT: "", BERTH_HOSTILE_STALL_RPC: stallRpc };
  if (options.stallMs !== undefined) env.BERTH_HOSTILE_STALL_MS = String(options.stallMs);
  const network = testNetwork(suite);
  const settings = { defaultNetwork: "none", bridge: { name: network.name, bridge: network.bridge, subnet: network.subnet } };
  // Pull and Login reach no registry at all: a valid reference names a
  // registry the daemon may not reach (PERMISSION_DENIED before any
  // traffic), so no hostile case sends anything off the machine.
  const args = [
    ...(stallRpc !== "" ? ["--import", STALL_HOOK] : []),
    MAIN,
    "--state-dir",
    place.stateDir,
    "--socket",
    place.socketPath,
    "--cgroup-parent",
    place.cgroupParent,
    "--allowed-registry",
    HOSTILE_ALLOWED_REGISTRY,
    "--network-json",
    JSON.stringify(settings),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let exit: string | undefined;
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  const exited = new Promise<void>((done) =>
    child.once("exit", (code, signal) => {
      exit = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
      done();
    }),
  );
  const ready = await new Promise<boolean>((done) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("ready")) done(true);
    });
    void exited.then(() => done(false));
  });
  if (!ready) {
    await checkThenRemove(place.stateDir, place.cgroupParent).catch(() => {});
    throw new Error(`the daemon ${exit} before it served:\n${stderr}`);
  }
  return {
    pid: child.pid!,
    stateDir: place.stateDir,
    socketPath: place.socketPath,
    cgroupParent: place.cgroupParent,
    namespace: place.namespace,
    network,
    id: place.id,
    exitText: () => exit,
    stderr: () => stderr,
    rssMb: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      return m === null ? 0 : Math.round(Number(m[1]) / 1024);
    },
    async stop() {
      let killed = false;
      if (exit === undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          killed = true;
          child.kill("SIGKILL");
        }, 20_000);
        await exited;
        clearTimeout(timer);
      }
      try {
        await checkThenRemove(place.stateDir, place.cgroupParent);
      } finally {
        await removeBridge(network.bridge);
      }
      if (killed) throw new Error("the daemon did not stop within 20 s of SIGTERM: it was killed");
    },
  };
}
