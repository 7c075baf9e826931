// @ts-check
// berth, driven over its gRPC API (proto/berth/v1) with @grpc/grpc-js, the
// same independent client library the containerd adapter uses. Namespace
// by the "berth-namespace" header; exits observed through one EventService
// subscription opened from sequence 0, so no exit is missed whenever the
// stream becomes live.

import { CONTAINER_PORT, HTTPD } from "../lib/bridge-net.js";
import { ExitWaiters } from "../lib/exit-waiters.js";
import { grpc, isCode, metadataOf, unary } from "../lib/grpc.js";
import { listProcesses } from "../lib/proc.js";
import { WORKLOADS } from "../lib/rootfs.js";
import { startSubscribers } from "../lib/subscribers.js";
import { mapPool } from "../lib/wait.js";
import { NAMESPACE_HEADER, connectBerth, loadImageArchive, subscribeExits } from "./berth-api.js";
import { BerthDaemon } from "./berth-daemon.js";

/** @typedef {import("./system.js").System} System */
/** @typedef {import("./system.js").Workload} Workload */
/** @typedef {import("../lib/workspace.js").Workspace} Workspace */
/** @typedef {import("./berth-api.js").BerthClients} BerthClients */

const EXIT_TIMEOUT_MS = 30_000;

/** @implements {System} */
export class BerthSystem {
  /** @type {"berth"} */ name = "berth";
  /** @type {string} */ version = "berth";
  #daemon;
  #namespace;
  #rootfs;
  #md;
  /** @type {BerthClients | undefined} */ #clients;
  #exits = new ExitWaiters();
  /** @type {grpc.ClientReadableStream<any> | undefined} */ #events;
  /** @type {Map<string, Workload>} */ #prepared = new Map();
  /** @type {Set<string>} containers created and not yet deleted */ #tracked = new Set();
  /** @type {import("../lib/bridge-net.js").BridgeNet | undefined} */ #net;

  /**
   * @param {object} o
   * @param {string} o.dir a private folder for the daemon's state and socket
   * @param {string} o.namespace the berth namespace (and cgroup folder) of the run
   * @param {string} o.rootfs the shared busybox root filesystem
   * @param {boolean} o.trace whether the daemon writes its phase trace
   * @param {string[]} [o.serveArgs] more `berth serve` flags
   * @param {Record<string, string>} [o.env] more environment variables for the daemon
   * @param {string[]} [o.nodeArgs] node's own flags for the daemon
   */
  constructor(o) {
    this.#daemon = new BerthDaemon(o.dir, o.trace, o.serveArgs, o.env, o.nodeArgs);
    this.#namespace = o.namespace;
    this.#rootfs = o.rootfs;
    this.#md = metadataOf({ [NAMESPACE_HEADER]: o.namespace });
  }

  /** @returns {string | undefined} the daemon's phase trace file, when on */
  get tracePath() {
    return this.#daemon.tracePath;
  }

  /** @returns {BerthDaemon} the daemon (its socket and log file) */
  get daemon() {
    return this.#daemon;
  }

  get ping() {
    return async () => {
      await unary(this.#api.system, "ping", {}, this.#md);
    };
  }

  async start() {
    await this.#daemon.start();
    this.#clients = await connectBerth(this.#daemon.socket);
    const v = await unary(this.#api.system, "version", {}, this.#md);
    this.version = `${v.version} (runtime ${v.runtime} ${v.runtimeVersion}, monitor ${v.monitorVersion}, cgroups ${v.cgroupMode})`;
    this.#events = subscribeExits(this.#api.events, this.#md, this.#exits);
  }

  async stop() {
    try {
      for (const id of [...this.#tracked]) await this.remove(id);
    } finally {
      this.#exits.fail(new Error("berth is stopping"));
      this.#events?.cancel();
      for (const client of Object.values(this.#clients ?? {})) client.close();
      await this.#daemon.stop();
    }
  }

  /**
   * @param {string} id
   * @param {Workload} workload
   */
  async prepare(id, workload) {
    this.#prepared.set(id, workload);
  }

  /** @param {string} id */
  async runToExit(id) {
    const exit = this.#exits.expect(id, "init", EXIT_TIMEOUT_MS);
    await this.#create(id);
    return exit;
  }

  /** @param {string} id */
  async createRunning(id) {
    const container = await this.#create(id);
    if (container?.status !== "STATUS_RUNNING") throw new Error(`Create returned ${id} in state ${container?.status}, not STATUS_RUNNING`);
  }

  /** @param {string} id */
  async createRunningUnconfined(id) {
    const container = await this.#create(id, { security: { seccomp: { unconfined: true } } });
    if (container?.status !== "STATUS_RUNNING") throw new Error(`Create returned ${id} in state ${container?.status}, not STATUS_RUNNING`);
  }

  /**
   * createRunningFromImage is createRunning with the root an image of the
   * store named by reference (pull policy never: it must be there).
   * @param {string} id
   * @param {string} reference
   */
  async createRunningFromImage(id, reference) {
    const container = await this.#create(id, { image: reference });
    if (container?.status !== "STATUS_RUNNING") throw new Error(`Create returned ${id} in state ${container?.status}, not STATUS_RUNNING`);
  }

  /**
   * loadImage streams an image archive to ImageService.Load (untimed).
   * @param {string} path
   */
  async loadImage(path) {
    await loadImageArchive(this.#api.images, this.#md, path);
  }

  /** @param {string} id */
  async remove(id) {
    if (!this.#tracked.has(id)) return;
    await unary(this.#api.containers, "delete", { id, force: true }, this.#md).catch((err) => {
      if (!isCode(err, grpc.status.NOT_FOUND)) throw err;
    });
    this.#exits.forget(id, "init");
    this.#tracked.delete(id);
    this.#prepared.delete(id);
  }

  /**
   * @param {string} id
   * @param {string} execId
   */
  async exec(id, execId) {
    const exit = this.#exits.expect(id, execId, EXIT_TIMEOUT_MS);
    await unary(this.#api.containers, "addProcess", { id, processId: execId, process: { args: WORKLOADS.exec } }, this.#md);
    return exit;
  }

  async settle() {}

  /** @param {string} id */
  async signalToExit(id) {
    const exit = this.#exits.expect(id, "init", EXIT_TIMEOUT_MS);
    await unary(this.#api.containers, "signal", { id, signal: "KILL", all: false }, this.#md);
    await exit;
  }

  /** @param {string} id */
  async pause(id) {
    await unary(this.#api.containers, "pause", { id }, this.#md);
  }

  /** @param {string} id */
  async resume(id) {
    await unary(this.#api.containers, "resume", { id }, this.#md);
  }

  /** @param {string} id */
  async stats(id) {
    const response = await unary(this.#api.containers, "stats", { id }, this.#md);
    if (response.stats?.memory === undefined || response.stats.memory === null) throw new Error(`Stats returned no memory stats for ${id}`);
  }

  /**
   * @param {string} id
   * @param {number} memoryBytes
   */
  async update(id, memoryBytes) {
    await unary(this.#api.containers, "updateResources", { id, resources: { memoryLimitBytes: String(memoryBytes) } }, this.#md);
  }

  /**
   * pullImage reads ImageService.Pull's stream to its end: progress, then
   * the image, which berth sends once the layers are unpacked and the image
   * is recorded.
   * @param {string} reference
   */
  async pullImage(reference) {
    const stream = this.#api.images.pull({ reference, platform: "" }, this.#md);
    let pulled = false;
    await new Promise((resolve, reject) => {
      stream.on("data", (/** @type {{ image?: object | null }} */ m) => {
        if (m.image !== undefined && m.image !== null) pulled = true;
      });
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    if (!pulled) throw new Error(`Pull of ${reference} ended without an image`);
  }

  /**
   * @param {readonly string[]} ids
   * @param {number} inFlight
   */
  async startMany(ids, inFlight) {
    await mapPool(ids, inFlight, (id) => this.createRunning(id));
  }

  /**
   * @param {readonly string[]} ids
   * @param {number} inFlight
   */
  async deleteMany(ids, inFlight) {
    await mapPool(ids, inFlight, (id) => this.remove(id));
  }

  memoryPids() {
    const stateDir = this.#daemon.stateDir;
    const monitors = listProcesses()
      .filter((p) => p.comm === "conmon" && p.argv.some((arg) => arg.includes(stateDir)))
      .map((p) => p.pid);
    return { daemon: this.#daemon.pid === undefined ? [] : [this.#daemon.pid], monitors };
  }

  /**
   * @param {string} id
   * @param {number} n
   */
  subscribeStateChanges(id, n) {
    return startSubscribers(new URL("./berth-subscribers.js", import.meta.url).href, { socket: this.#daemon.socket, namespace: this.#namespace, id }, n);
  }

  /**
   * The bridge row: a network made with NetworkService.CreateNetwork, and
   * one Create naming it and publishing 127.0.0.1:hostPort (berth makes the
   * namespace, runs CNI ADD and starts the process inside Create).
   * @type {import("./system.js").BridgeSupport}
   */
  bridge = {
    how: "Create{network, ports: [127.0.0.1:P -> 8080/tcp]} (the namespace, CNI ADD, /etc/hosts, resolv.conf and hostname, then the process, inside Create)",
    setUp: async (net) => {
      this.#net = net;
      await unary(this.#api.networks, "createNetwork", { name: net.name, subnet: net.subnet, gateway: net.gateway, bridge: net.bridge }, this.#md);
    },
    createRunning: async (id, hostPort) => {
      const net = this.#net;
      if (net === undefined) throw new Error("the bridge network is not set up");
      this.#tracked.add(id);
      const ports = [{ hostIp: "127.0.0.1", hostPort, containerPort: CONTAINER_PORT, protocol: "tcp" }];
      const response = await unary(this.#api.containers, "create", { id, process: { args: HTTPD }, rootfs: { path: this.#rootfs, readOnly: false }, network: net.name, ports }, this.#md);
      const c = response.container;
      if (c?.status !== "STATUS_RUNNING") throw new Error(`Create returned ${id} in state ${c?.status}, not STATUS_RUNNING`);
      if (c.ports?.[0]?.hostPort !== hostPort) throw new Error(`Create reported ports ${JSON.stringify(c.ports)}, not ${hostPort}`);
    },
    remove: (id) => this.remove(id),
    tearDown: async () => {
      if (this.#net !== undefined) await unary(this.#api.networks, "removeNetwork", { name: this.#net.name, force: false }, this.#md);
      this.#net = undefined;
    },
    footprint: () => ({ ids: [], files: [] }),
  };

  /**
   * @param {string} id
   * @param {{ security?: object, image?: string }} [o] SecurityOptions
   *   (unset: berth's defaults); an image reference to run instead of the
   *   shared folder
   * @returns {Promise<{ status: string } | undefined>} the created container
   */
  async #create(id, { security, image } = {}) {
    const workload = this.#prepared.get(id);
    if (workload === undefined) throw new Error(`berth container ${id} was not prepared`);
    this.#tracked.add(id);
    const response = await unary(
      this.#api.containers,
      "create",
      {
        id,
        process: { args: WORKLOADS[workload] },
        ...(image === undefined ? { rootfs: { path: this.#rootfs, readOnly: false } } : { image, pullPolicy: "PULL_POLICY_NEVER" }),
        ...(security !== undefined && { security }),
      },
      this.#md,
    );
    return /** @type {{ status: string } | undefined} */ (response.container ?? undefined);
  }

  /** @returns {BerthClients} */
  get #api() {
    if (this.#clients === undefined) throw new Error("berth is not started");
    return this.#clients;
  }
}

