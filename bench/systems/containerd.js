// @ts-check
// containerd 1.6 with containerd-shim-runc-v2, driven as a client library
// would drive it: over its gRPC API (Snapshots, Containers, Tasks, Events),
// with @grpc/grpc-js and the .proto copies in bench/proto. `ctr images
// import` runs once at start-up; the one `ctr` in a timed path is the pull
// row's `ctr images pull`, since containerd's pull (resolve, fetch, unpack)
// is client code: ctr is the client that does it.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";

import { ExitWaiters } from "../lib/exit-waiters.js";
import { grpc, isCode, metadataOf, unary } from "../lib/grpc.js";
import { listProcesses } from "../lib/proc.js";
import { encodeStrings } from "../lib/proto-wire.js";
import { WORKLOADS } from "../lib/rootfs.js";
import { runChecked } from "../lib/spawn.js";
import { startSubscribers } from "../lib/subscribers.js";
import { mapPool } from "../lib/wait.js";
import {
  LEASE,
  NAMESPACE,
  PROCESS_URL,
  RESOURCES_URL,
  RUNC_OPTIONS_ROOT_FIELD,
  RUNC_OPTIONS_URL,
  RUNTIME,
  SNAPSHOTTER,
  SPEC_URL,
  connectContainerd,
  subscribeExits,
} from "./containerd-api.js";
import { CtrCni, LIBCNI_RESULTS } from "./containerd-cni.js";
import { ContainerdDaemon } from "./containerd-daemon.js";
import { ownedFilesIn } from "../lib/bridge-sweep.js";

/** @typedef {import("./system.js").System} System */
/** @typedef {import("./system.js").Workload} Workload */
/** @typedef {import("../lib/rootfs.js").BerthCode} BerthCode */
/** @typedef {import("../lib/workspace.js").Workspace} Workspace */
/** @typedef {import("./containerd-api.js").ContainerdClients} ContainerdClients */

// containerd-shim-runc-v2 (1.6) puts its socket here whatever containerd's
// state directory is, named by a hash of containerd's address, the
// namespace and the container id.
const SHIM_SOCKET_DIR = "/run/containerd/s";
const EXIT_TIMEOUT_MS = 30_000;

/**
 * @typedef {object} Tracked what exists of one container, for clean-up
 * @property {boolean} snapshot
 * @property {boolean} container
 * @property {boolean} task
 * @property {boolean} running
 */

/** @implements {System} */
export class ContainerdSystem {
  /** @type {"containerd"} */ name = "containerd";
  /** @type {string} */ version;
  #daemon;
  #ctr;
  #binary;
  #rootfsImage;
  #cgroupParent;
  #code;
  #ws;
  #md = metadataOf({ "containerd-namespace": NAMESPACE });
  #leased = metadataOf({ "containerd-namespace": NAMESPACE, "containerd-lease": LEASE });
  /** @type {Buffer} runc shim options: runc's --root under the private root */
  #runcOptions;
  /** @type {ContainerdClients | undefined} */ #clients;
  #exits = new ExitWaiters();
  /** @type {grpc.ClientReadableStream<any> | undefined} */ #events;
  /** @type {Map<string, Tracked>} */ #tracked = new Map();
  /** @type {Map<string, string>} the spec JSON of each prepared container */
  #specs = new Map();
  /** @type {{ id: string, execId: string }[]} exec'd processes to delete */
  #pendingExecs = [];
  /** @type {string} */ #processJson = "";
  /** @type {import("./system.js").BridgeSupport} */ bridge;

  /**
   * @param {object} o
   * @param {string} o.binary the containerd binary
   * @param {string} o.ctr the ctr binary (image import at start-up only)
   * @param {string} o.version
   * @param {string} o.dir a private folder for containerd's root and state
   * @param {import("../lib/oci-image.js").OciArchive} o.image
   * @param {string} o.cgroupParent
   * @param {BerthCode} o.code
   * @param {Workspace} o.ws
   */
  constructor(o) {
    this.#daemon = new ContainerdDaemon(o.dir);
    this.#binary = o.binary;
    this.#ctr = o.ctr;
    this.version = o.version;
    this.#rootfsImage = o.image;
    this.#cgroupParent = o.cgroupParent;
    this.#code = o.code;
    this.#ws = o.ws;
    this.#runcOptions = encodeStrings({ [RUNC_OPTIONS_ROOT_FIELD]: join(o.dir, "runc") });
    this.bridge = this.#ctrBridge(new CtrCni({ ctr: o.ctr, socket: this.#daemon.socket, namespace: NAMESPACE, image: o.image.imageName, dir: o.ws.path("containerd-cni"), runcRoot: join(o.dir, "runc"), cgroupParent: o.cgroupParent }));
  }

  /**
   * The bridge row through `ctr run --cni` (see containerd-cni.js); the
   * container is then this adapter's like any other, removed through the
   * API after CNI DEL.
   * @param {CtrCni} cni
   * @returns {import("./system.js").BridgeSupport}
   */
  #ctrBridge(cni) {
    /** @type {string[]} */
    const cniIds = [];
    return {
      how: "`ctr run -d --null-io --cni` (go-cni: Tasks.Create, CNI ADD into the task's namespace, Tasks.Start), ctr's process start included, run by nsenter in the bench's mount namespace",
      setUp: (net, hostPort) => cni.setUp(net, hostPort),
      createRunning: async (id) => {
        this.#tracked.set(id, { snapshot: true, container: true, task: true, running: true });
        cniIds.push(cni.cniId(id));
        await cni.runDetached(id);
      },
      remove: async (id) => {
        const task = await unary(this.#api.tasks, "get", { containerId: id }, this.#md).catch(() => undefined);
        const pid = Number(task?.process?.pid ?? 0);
        if (pid > 0) await cni.del(id, pid);
        await this.remove(id);
      },
      tearDown: () => cni.tearDown(),
      footprint: () => ({ ids: [...cniIds], files: ownedFilesIn(LIBCNI_RESULTS, cniIds) }),
    };
  }

  get ping() {
    return async () => {
      await unary(this.#api.version, "version", {}, this.#md);
    };
  }

  async start() {
    if (!existsSync("/run/containerd")) this.#ws.ownIfEmpty("/run/containerd");
    if (!existsSync(SHIM_SOCKET_DIR)) this.#ws.ownIfEmpty(SHIM_SOCKET_DIR);
    await this.#daemon.start(this.#binary);
    // The image, once, outside any timed path.
    await runChecked(this.#ctr, ["--address", this.#daemon.socket, "--namespace", NAMESPACE, "images", "import", "--snapshotter", SNAPSHOTTER, this.#rootfsImage.path]);

    this.#clients = await connectContainerd(this.#daemon.socket);
    const version = await unary(this.#api.version, "version", {}, this.#md);
    this.version = `${version.version} (${version.revision})`;
    await unary(this.#api.leases, "create", { id: LEASE, labels: {} }, this.#md);
    const info = await unary(this.#api.snapshots, "stat", { snapshotter: SNAPSHOTTER, key: this.#rootfsImage.chainId }, this.#md);
    if (info.info?.kind !== "COMMITTED") throw new Error(`the imported image's layer ${this.#rootfsImage.chainId} is not an unpacked snapshot`);

    const base = this.#code.buildSpec({ args: WORKLOADS.exec, rootfsPath: "/rootfs", cgroupsPath: "/unused" });
    this.#processJson = JSON.stringify(base.process);
    this.#events = await subscribeExits(this.#api.events, this.#md, this.#exits, (id) => {
      const t = this.#tracked.get(id);
      if (t !== undefined) t.running = false;
    });
  }

  async stop() {
    try {
      for (const id of [...this.#tracked.keys()]) await this.remove(id);
      await this.settle();
      if (this.#clients !== undefined) await unary(this.#clients.leases, "delete", { id: LEASE, sync: true }, this.#md);
    } finally {
      this.#exits.fail(new Error("containerd is stopping"));
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
    const spec = this.#code.buildSpec({ args: WORKLOADS[workload], rootfsPath: "/rootfs", cgroupsPath: `${this.#cgroupParent}/${id}` });
    // The shim mounts the snapshot at <bundle>/rootfs.
    spec.root = { path: "rootfs", readonly: false };
    this.#specs.set(id, JSON.stringify(spec));
    this.#ws.ownFile(this.#shimSocket(id));
  }

  /** @param {string} id */
  async runToExit(id) {
    const exit = this.#exits.expect(id, id, EXIT_TIMEOUT_MS);
    await this.#createAndStart(id);
    return exit;
  }

  /** @param {string} id */
  async createRunning(id) {
    await this.#createAndStart(id);
  }

  /** @param {string} id */
  async remove(id) {
    const t = this.#tracked.get(id);
    if (t === undefined) return;
    if (t.task) {
      if (t.running) {
        const exit = this.#exits.expect(id, id, EXIT_TIMEOUT_MS);
        await unary(this.#api.tasks, "kill", { containerId: id, signal: 9, all: false }, this.#md).catch((err) => {
          if (!isCode(err, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION)) throw err;
        });
        await exit;
      } else {
        this.#exits.forget(id, id);
      }
      await unary(this.#api.tasks, "delete", { containerId: id }, this.#md);
      t.task = false;
    }
    if (t.container) {
      await unary(this.#api.containers, "delete", { id }, this.#leased);
      t.container = false;
    }
    if (t.snapshot) {
      await unary(this.#api.snapshots, "remove", { snapshotter: SNAPSHOTTER, key: id }, this.#leased);
      t.snapshot = false;
    }
    this.#tracked.delete(id);
    this.#specs.delete(id);
  }

  /**
   * @param {string} id
   * @param {string} execId
   */
  async exec(id, execId) {
    const exit = this.#exits.expect(id, execId, EXIT_TIMEOUT_MS);
    const tasks = this.#api.tasks;
    await unary(tasks, "exec", { containerId: id, execId, spec: { type_url: PROCESS_URL, value: Buffer.from(this.#processJson) } }, this.#md);
    this.#pendingExecs.push({ id, execId });
    await unary(tasks, "start", { containerId: id, execId }, this.#md);
    return exit;
  }

  /** settle deletes the exec'd processes that have exited (untimed). */
  async settle() {
    for (const { id, execId } of this.#pendingExecs.splice(0)) {
      await unary(this.#api.tasks, "deleteProcess", { containerId: id, execId }, this.#md);
    }
  }

  /** @param {string} id */
  async signalToExit(id) {
    const exit = this.#exits.expect(id, id, EXIT_TIMEOUT_MS);
    await unary(this.#api.tasks, "kill", { containerId: id, signal: 9, all: false }, this.#md);
    await exit;
  }

  /** @param {string} id */
  async pause(id) {
    await unary(this.#api.tasks, "pause", { containerId: id }, this.#md);
  }

  /** @param {string} id */
  async resume(id) {
    await unary(this.#api.tasks, "resume", { containerId: id }, this.#md);
  }

  /** @param {string} id */
  async stats(id) {
    const response = await unary(this.#api.tasks, "metrics", { filters: [`id==${id}`] }, this.#md);
    if (response.metrics?.length !== 1 || (response.metrics[0].data?.value?.length ?? 0) === 0) {
      throw new Error(`Tasks.Metrics returned no metrics for ${id}`);
    }
  }

  /**
   * @param {string} id
   * @param {number} memoryBytes
   */
  async update(id, memoryBytes) {
    const resources = { type_url: RESOURCES_URL, value: Buffer.from(JSON.stringify({ memory: { limit: memoryBytes } })) };
    await unary(this.#api.tasks, "update", { containerId: id, resources, annotations: {} }, this.#md);
  }

  /**
   * @param {readonly string[]} ids
   * @param {number} inFlight
   */
  async startMany(ids, inFlight) {
    await mapPool(ids, inFlight, (id) => this.#createAndStart(id));
  }

  /**
   * @param {readonly string[]} ids
   * @param {number} inFlight
   */
  async deleteMany(ids, inFlight) {
    await mapPool(ids, inFlight, (id) => this.remove(id));
  }

  /**
   * pullImage is `ctr images pull --plain-http`: fetched into containerd's
   * content store and unpacked into its overlayfs snapshots.
   * @param {string} reference
   */
  async pullImage(reference) {
    await runChecked(this.#ctr, ["--address", this.#daemon.socket, "--namespace", NAMESPACE, "images", "pull", "--plain-http", "--snapshotter", SNAPSHOTTER, reference]);
  }

  memoryPids() {
    const socket = this.#daemon.socket;
    const monitors = listProcesses()
      .filter((p) => p.comm.startsWith("containerd-shim") && p.argv.includes(socket))
      .map((p) => p.pid);
    return { daemon: this.#daemon.pid === undefined ? [] : [this.#daemon.pid], monitors };
  }

  /**
   * @param {string} _id the only container that changes state meanwhile
   * @param {number} n
   */
  subscribeStateChanges(_id, n) {
    return startSubscribers(new URL("./containerd-subscribers.js", import.meta.url).href, { socket: this.#daemon.socket }, n);
  }

  /** @param {string} id */
  async #createAndStart(id) {
    const spec = this.#specs.get(id);
    if (spec === undefined) throw new Error(`containerd container ${id} was not prepared`);
    /** @type {Tracked} */
    const t = { snapshot: false, container: false, task: false, running: false };
    this.#tracked.set(id, t);
    const prepared = await unary(this.#api.snapshots, "prepare", { snapshotter: SNAPSHOTTER, key: id, parent: this.#rootfsImage.chainId, labels: {} }, this.#leased);
    t.snapshot = true;
    const options = { type_url: RUNC_OPTIONS_URL, value: this.#runcOptions };
    await unary(
      this.#api.containers,
      "create",
      {
        container: {
          id,
          labels: {},
          image: this.#rootfsImage.imageName,
          runtime: { name: RUNTIME, options },
          spec: { type_url: SPEC_URL, value: Buffer.from(spec) },
          snapshotter: SNAPSHOTTER,
          snapshotKey: id,
        },
      },
      this.#leased,
    );
    t.container = true;
    await unary(this.#api.tasks, "create", { containerId: id, rootfs: prepared.mounts, options }, this.#md);
    t.task = true;
    // Running from before Start: the exit event may arrive before Start's
    // response does, and it is what marks the task stopped.
    t.running = true;
    await unary(this.#api.tasks, "start", { containerId: id }, this.#md);
  }

  /** @param {string} id */
  #shimSocket(id) {
    const hash = createHash("sha256").update(join(this.#daemon.socket, NAMESPACE, id)).digest("hex");
    return join(SHIM_SOCKET_DIR, hash);
  }

  /** @returns {ContainerdClients} */
  get #api() {
    if (this.#clients === undefined) throw new Error("containerd is not started");
    return this.#clients;
  }
}

