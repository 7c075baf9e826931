// @ts-check
// A private Podman API service for the benchmark: `podman system service
// --time=0 unix://<socket>` with its own storage (--root), run folder
// (--runroot), libpod tmp folder (--tmpdir, where the file events backend
// keeps its log), volume and network config folders, all under the
// benchmark's private root; cgroupfs as cgroup manager, runc as the OCI
// runtime and conmon as the monitor, the stack berth runs. Started in its
// own process group, so a Ctrl-C reaches the benchmark alone, which deletes
// the containers through the API before it stops the service. What the
// service leaves when it stops goes with it: the conmons of exec sessions
// (Podman starts them with --exit-delay 300, so each outlives its process by
// five minutes before it runs its exit command), and the storage's overlay
// mounts (the driver's home bind-mounts itself private).
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

import { processesMentioning } from "../lib/proc.js";
import { run } from "../lib/spawn.js";
import { spawnDaemon, stopChild, untilReady } from "../lib/daemon-process.js";
import { waitFor } from "../lib/wait.js";
import { mountsUnder } from "../lib/workspace.js";
import { PodmanClient } from "./podman-api.js";
import { Unavailable } from "./system.js";

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export class PodmanDaemon {
  /** @type {string} */ dir;
  /** @type {string} */ socket;
  /** @type {number | undefined} */ pid;
  /** @type {string} */ #logPath;
  /** @type {string[]} */ #globalArgs;
  /** @type {NodeJS.ProcessEnv} */ #env;
  /** @type {import("node:child_process").ChildProcess | undefined} */ #child;
  /** @type {Promise<void> | undefined} */ #exited;

  /**
   * @param {string} dir a private folder for everything Podman keeps
   * @param {{ conmon: string, runc: string }} binaries
   */
  constructor(dir, binaries) {
    this.dir = dir;
    this.socket = join(dir, "podman.sock");
    this.#logPath = join(dir, "podman.log");
    this.#globalArgs = [
      "--root", join(dir, "root"),
      "--runroot", join(dir, "runroot"),
      "--tmpdir", join(dir, "tmp"),
      "--volumepath", join(dir, "volumes"),
      "--network-config-dir", join(dir, "networks"),
      "--storage-driver", "overlay",
      "--cgroup-manager", "cgroupfs",
      "--events-backend", "file",
      "--runtime", binaries.runc,
      "--conmon", binaries.conmon,
    ];
    // Image copies go to $TMPDIR (/var/tmp by default): keep them private too.
    this.#env = { ...process.env, TMPDIR: join(dir, "tmp") };
  }

  /**
   * podman runs the podman CLI on the same storage (image load at start-up
   * only, never in a timed path).
   * @param {string} binary
   * @param {readonly string[]} args
   */
  async podman(binary, args) {
    const result = await run(binary, [...this.#globalArgs, ...args], { env: this.#env, timeoutMs: 120_000 });
    if (result.code !== 0) throw new Error(`podman ${args.join(" ")} exited with ${result.signal ?? result.code}: ${result.stderr.trim() || "(no stderr)"}`);
  }

  /**
   * start starts the service and waits until its API answers.
   * @param {string} binary
   */
  async start(binary) {
    for (const sub of ["root", "runroot", "tmp", "volumes", "networks"]) await mkdir(join(this.dir, sub), { recursive: true, mode: 0o700 });
    const { child, exited } = spawnDaemon(binary, [...this.#globalArgs, "system", "service", "--time=0", `unix://${this.socket}`], this.#logPath, this.#env);
    this.#child = child;
    this.pid = child.pid;
    this.#exited = exited;

    const client = new PodmanClient(this.socket);
    try {
      await untilReady(
        async () => {
          while (!existsSync(this.socket)) await new Promise((r) => setTimeout(r, 20));
          await client.call("GET", "/_ping");
        },
        exited,
        START_TIMEOUT_MS,
        "podman system service",
      );
    } catch (err) {
      await this.stop();
      throw new Unavailable(`podman system service did not start (${/** @type {Error} */ (err).message}); its log says: ${this.logTail()}`);
    } finally {
      client.close();
    }
  }

  /**
   * stop sends SIGTERM, then SIGKILL if the service is still up later, then
   * kills the processes it left (exec conmons, exit commands) and unmounts
   * what its storage left mounted.
   */
  async stop() {
    await stopChild(this.#child, this.#exited, STOP_TIMEOUT_MS, "podman system service");
    await waitFor(
      () => {
        const left = processesMentioning(this.dir);
        for (const p of left) {
          try {
            process.kill(p.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        return left.length === 0;
      },
      { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 20, what: "the processes podman left to exit" },
    ).catch(() => {}); // the workspace's sweep looks again and reports what stays
    for (const mountPoint of mountsUnder(this.dir).reverse()) {
      const result = await run("umount", [mountPoint]);
      if (result.code !== 0) await run("umount", ["-l", mountPoint]);
    }
  }

  /** The service's log, for error messages. */
  logTail() {
    try {
      return readFileSync(this.#logPath, "utf8").trim().split("\n").slice(-5).join(" | ") || "(empty)";
    } catch {
      return "(no log)";
    }
  }
}
