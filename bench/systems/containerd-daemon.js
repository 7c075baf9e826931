// @ts-check
// A private containerd for the benchmark: its own root, state, gRPC and
// ttrpc sockets under the temporary root, the CRI plugin and the
// snapshotters this host does not need disabled, overlayfs as snapshotter.
// Started in its own process group, so a Ctrl-C reaches the benchmark
// alone, which then deletes the containers through the API before it stops
// the daemon.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { connect, metadataOf, unary, waitReady } from "../lib/grpc.js";
import { spawnDaemon, stopChild, untilReady } from "../lib/daemon-process.js";
import { loadService } from "./containerd-api.js";
import { Unavailable } from "./system.js";

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** The plugins a benchmark of the task API has no use for. */
const DISABLED_PLUGINS = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
];

export class ContainerdDaemon {
  /** @type {string} */ socket;
  /** @type {string} */ dir;
  /** @type {number | undefined} */ pid;
  /** @type {import("node:child_process").ChildProcess | undefined} */ #child;
  /** @type {Promise<void> | undefined} */ #exited;

  /** @param {string} dir a private folder for everything containerd keeps */
  constructor(dir) {
    this.dir = dir;
    this.socket = join(dir, "containerd.sock");
  }

  /** The toml file containerd is started with. */
  config() {
    const q = (/** @type {string} */ s) => JSON.stringify(s);
    return [
      "version = 2",
      `root = ${q(join(this.dir, "root"))}`,
      `state = ${q(join(this.dir, "state"))}`,
      `disabled_plugins = [${DISABLED_PLUGINS.map(q).join(", ")}]`,
      "",
      "[grpc]",
      `  address = ${q(this.socket)}`,
      "",
      "[ttrpc]",
      `  address = ${q(`${this.socket}.ttrpc`)}`,
      "",
      "[debug]",
      '  address = ""',
      '  level = "warn"',
      "",
      "[metrics]",
      '  address = ""',
      "",
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = ${q(join(this.dir, "opt"))}`,
      "",
      '[plugins."io.containerd.snapshotter.v1.overlayfs"]',
      `  root_path = ${q(join(this.dir, "root", "io.containerd.snapshotter.v1.overlayfs"))}`,
      "",
    ].join("\n");
  }

  /**
   * start writes the config, starts containerd and waits until its gRPC API
   * answers.
   * @param {string} binary
   */
  async start(binary) {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const configPath = join(this.dir, "config.toml");
    await writeFile(configPath, this.config());
    const logPath = join(this.dir, "containerd.log");
    const { child, exited } = spawnDaemon(binary, ["--config", configPath], logPath);
    this.#child = child;
    this.pid = child.pid;
    this.#exited = exited;

    const client = connect(loadService("version"), this.socket);
    try {
      await untilReady(
        async () => {
          while (!existsSync(this.socket)) await new Promise((r) => setTimeout(r, 20));
          await waitReady(client, START_TIMEOUT_MS);
          await unary(client, "version", {}, metadataOf({}));
        },
        exited,
        START_TIMEOUT_MS,
        "containerd",
      );
    } catch (err) {
      await this.stop();
      throw new Unavailable(`containerd did not start (${/** @type {Error} */ (err).message}); its log says: ${tail(logPath)}`);
    } finally {
      client.close();
    }
  }

  /** stop sends SIGTERM, then SIGKILL if containerd is still up later. */
  async stop() {
    await stopChild(this.#child, this.#exited, STOP_TIMEOUT_MS, "containerd");
  }

  /** The daemon's log, for error messages. */
  logTail() {
    return tail(join(this.dir, "containerd.log"));
  }
}

/** @param {string} path */
function tail(path) {
  try {
    return readFileSync(path, "utf8").trim().split("\n").slice(-5).join(" | ") || "(empty)";
  } catch {
    return "(no log)";
  }
}
