// @ts-check
// The floor: runc's CLI called directly, one process per operation, with
// its own --root and one bundle per container under the private root. There
// is no daemon and no monitor, so an exit is observed the only ways a caller
// of the bare CLI can: `runc run` returning, or the init's /proc entry
// turning into a zombie (the host's init reaps it later).
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { hasExited } from "../lib/proc.js";
import { WORKLOADS } from "../lib/rootfs.js";
import { run, runChecked } from "../lib/spawn.js";
import { mapPool, waitFor } from "../lib/wait.js";

/** @typedef {import("./system.js").System} System */
/** @typedef {import("./system.js").Workload} Workload */
/** @typedef {import("../lib/rootfs.js").BerthCode} BerthCode */

const EXIT_TIMEOUT_MS = 10_000;

/** @implements {System} */
export class RuncSystem {
  /** @type {"runc"} */ name = "runc";
  /** @type {string} */ version;
  ping = undefined;
  subscribeStateChanges = undefined;
  #runc;
  #root;
  #bundles;
  #rootfs;
  #cgroupParent;
  #code;
  /** @type {Map<string, number>} init pid of each running container */
  #pids = new Map();
  /** @type {Set<string>} containers that exist in runc's state */
  #live = new Set();

  /**
   * @param {object} o
   * @param {string} o.runc the runc binary
   * @param {string} o.version
   * @param {string} o.dir a private folder for runc's root and the bundles
   * @param {string} o.rootfs the shared busybox root filesystem
   * @param {string} o.cgroupParent e.g. "/berth-bench-x/runc"
   * @param {BerthCode} o.code
   */
  constructor(o) {
    this.#runc = o.runc;
    this.version = o.version;
    this.#root = join(o.dir, "root");
    this.#bundles = join(o.dir, "bundles");
    this.#rootfs = o.rootfs;
    this.#cgroupParent = o.cgroupParent;
    this.#code = o.code;
  }

  async start() {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    await mkdir(this.#bundles, { recursive: true });
  }

  async stop() {
    for (const id of [...this.#live]) await this.remove(id);
  }

  /**
   * @param {string} id
   * @param {Workload} workload
   */
  async prepare(id, workload) {
    const bundle = join(this.#bundles, id);
    await mkdir(bundle, { recursive: true });
    const spec = this.#code.buildSpec({ args: WORKLOADS[workload], rootfsPath: this.#rootfs, cgroupsPath: `${this.#cgroupParent}/${id}` });
    await writeFile(join(bundle, "config.json"), JSON.stringify(spec));
  }

  /** @param {string} id */
  async runToExit(id) {
    // `runc run` waits for the container and deletes it when it exits.
    const result = await run(this.#runc, ["--root", this.#root, "run", "--bundle", join(this.#bundles, id), id]);
    if (result.code === null) throw new Error(`runc run ${id} was killed by ${result.signal}: ${result.stderr.trim()}`);
    return result.code;
  }

  /** @param {string} id */
  async createRunning(id) {
    const bundle = join(this.#bundles, id);
    const pidFile = join(bundle, "init.pid");
    // The container inherits runc's stdio and outlives runc create: give it
    // a file, not a pipe that would never close.
    const stderr = openSync(join(bundle, "stderr.log"), "a");
    this.#live.add(id);
    try {
      const created = await run(this.#runc, ["--root", this.#root, "create", "--bundle", bundle, "--pid-file", pidFile, id], { stderr });
      if (created.code !== 0) throw new Error(`runc create ${id} exited with ${created.code}: ${readFileSync(join(bundle, "stderr.log"), "utf8").trim()}`);
    } finally {
      closeSync(stderr);
    }
    await runChecked(this.#runc, ["--root", this.#root, "start", id]);
    this.#pids.set(id, Number(readFileSync(pidFile, "utf8")));
  }

  /** @param {string} id */
  async remove(id) {
    const pid = this.#pids.get(id);
    if (pid !== undefined && !hasExited(pid)) {
      await run(this.#runc, ["--root", this.#root, "kill", id, "KILL"]);
      await this.#waitExit(id, pid, 10);
    }
    if (this.#live.has(id)) {
      // --force also covers a container that never got to start.
      await runChecked(this.#runc, ["--root", this.#root, "delete", "--force", id]);
    }
    this.#pids.delete(id);
    this.#live.delete(id);
    await rm(join(this.#bundles, id), { recursive: true, force: true });
  }

  /**
   * @param {string} id
   * @param {string} _execId runc names exec'd processes itself
   */
  async exec(id, _execId) {
    const result = await run(this.#runc, ["--root", this.#root, "exec", id, ...WORKLOADS.exec]);
    if (result.code === null) throw new Error(`runc exec ${id} was killed by ${result.signal}`);
    if (result.code !== 0) throw new Error(`runc exec ${id} exited with ${result.code}: ${result.stderr.trim()}`);
    return result.code;
  }

  async settle() {}

  /** @param {string} id */
  async signalToExit(id) {
    const pid = this.#pids.get(id);
    if (pid === undefined) throw new Error(`runc container ${id} is not running`);
    await runChecked(this.#runc, ["--root", this.#root, "kill", id, "KILL"]);
    // Poll on every event-loop turn: the exit is seen within microseconds.
    await this.#waitExit(id, pid, 0);
  }

  /** @param {string} id */
  async pause(id) {
    await runChecked(this.#runc, ["--root", this.#root, "pause", id]);
  }

  /** @param {string} id */
  async resume(id) {
    await runChecked(this.#runc, ["--root", this.#root, "resume", id]);
  }

  /** @param {string} id */
  async stats(id) {
    const result = await runChecked(this.#runc, ["--root", this.#root, "events", "--stats", id], { captureStdout: true });
    const event = JSON.parse(result.stdout);
    if (event?.data?.memory === undefined) throw new Error(`runc events --stats ${id} printed no memory stats`);
  }

  /**
   * @param {string} id
   * @param {number} memoryBytes
   */
  async update(id, memoryBytes) {
    await runChecked(this.#runc, ["--root", this.#root, "update", "--memory", String(memoryBytes), id]);
  }

  /**
   * @param {readonly string[]} ids
   * @param {number} inFlight
   */
  async startMany(ids, inFlight) {
    await mapPool(ids, inFlight, (id) => this.createRunning(id));
  }

  /**
   * deleteMany is what a caller of the bare CLI does to remove a running
   * container: kill, see the exit, delete. (`runc delete --force` would
   * sleep 100 ms before its first check that the process died.)
   * @param {readonly string[]} ids
   * @param {number} inFlight
   */
  async deleteMany(ids, inFlight) {
    await mapPool(ids, inFlight, (id) => this.remove(id));
  }

  memoryPids() {
    return { daemon: [], monitors: [] };
  }

  /**
   * @param {string} id
   * @param {number} pid
   * @param {number} intervalMs
   */
  async #waitExit(id, pid, intervalMs) {
    await waitFor(() => hasExited(pid), { timeoutMs: EXIT_TIMEOUT_MS, intervalMs, what: `runc container ${id} (pid ${pid}) to exit` });
    this.#pids.delete(id);
  }
}
