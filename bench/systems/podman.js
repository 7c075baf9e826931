// @ts-check
// Podman 4.x, driven as a client library would drive it: over the libpod
// REST API of a private `podman system service` (podman-daemon.js), HTTP/1.1
// on its unix socket with a keep-alive agent (podman-api.js). No podman CLI
// runs in a timed path; `podman load` of the same busybox image archive the
// containerd adapter imports runs once at start-up. Podman runs the stack
// berth runs (conmon watching runc), so it is the system closest to berth.
//
// What differs from the others, and why (the report says so too):
// - Podman builds its own OCI spec from a SpecGenerator; the knobs that cost
//   time and that berth's default spec does not have are turned off or
//   matched (no seccomp filter, no network: netns "none", the image's own
//   /etc/hosts and resolv.conf, rlimits nofile and nproc 1024, k8s-file log
//   like berth's conmon log); the rootfs is an overlay of the imported image
//   layer, as containerd's snapshot is.
// - Podman logs "died" when one of its processes first reads conmon's exit
//   file; with nobody asking, that is `podman container cleanup`, the exit
//   command conmon starts when the container's process ends, so the rows
//   that observe an exit event include that process start. (The other way,
//   POST /containers/{id}/wait, polls every 250 ms by default.)
import { CONTAINER_PORT, HTTPD } from "../lib/bridge-net.js";
import { ownedFilesIn } from "../lib/bridge-sweep.js";
import { ExitWaiters } from "../lib/exit-waiters.js";
import { listProcesses } from "../lib/proc.js";
import { WORKLOADS } from "../lib/rootfs.js";
import { startSubscribers } from "../lib/subscribers.js";
import { mapPool, waitFor } from "../lib/wait.js";
import { PodmanClient, PodmanError } from "./podman-api.js";
import { PodmanDaemon } from "./podman-daemon.js";
import { Unavailable } from "./system.js";

/** @typedef {import("./system.js").System} System */
/** @typedef {import("./system.js").Workload} Workload */
/** @typedef {import("../lib/oci-image.js").OciArchive} OciArchive */

const EXIT_TIMEOUT_MS = 30_000;
/** Podman 4.3's default rlimits exceed what this kind of host allows (runc: "error setting rlimit type 7"). */
const RLIMITS = [
  { type: "nofile", soft: 1024, hard: 1024 },
  { type: "nproc", soft: 1024, hard: 1024 },
];

/** @implements {System} */
export class PodmanSystem {
  /** @type {"podman"} */ name = "podman";
  /** @type {string} */ version;
  #daemon;
  #binary;
  #image;
  #cgroupParent;
  /** @type {PodmanClient | undefined} */ #client;
  #exits = new ExitWaiters();
  /** @type {(() => void) | undefined} */ #closeEvents;
  /** @type {Map<string, Workload>} */ #prepared = new Map();
  /** @type {Set<string>} containers created and not yet removed */ #tracked = new Set();
  /** @type {import("../lib/bridge-net.js").BridgeNet | undefined} */ #net;
  /** @type {string[]} */ #bridgeIds = [];
  /** @type {Map<string, string>} name -> libpod's full id */ #fullIds = new Map();

  /**
   * @param {object} o
   * @param {string} o.binary the podman binary
   * @param {string} o.conmon
   * @param {string} o.runc
   * @param {string} o.version
   * @param {string} o.dir a private folder for the service's storage, run and tmp folders
   * @param {OciArchive} o.image the busybox archive every image-based system loads
   * @param {string} o.cgroupParent
   */
  constructor(o) {
    this.#daemon = new PodmanDaemon(o.dir, { conmon: o.conmon, runc: o.runc });
    this.#binary = o.binary;
    this.version = o.version;
    this.#image = o.image;
    this.#cgroupParent = o.cgroupParent;
  }

  get ping() {
    return async () => {
      const answer = await this.#api.call("GET", "/_ping");
      if (answer !== "OK") throw new Error(`_ping answered ${JSON.stringify(answer)}`);
    };
  }

  async start() {
    const since = Math.floor(Date.now() / 1000) - 1;
    await this.#daemon.start(this.#binary);
    // The image, once, outside any timed path.
    await this.#daemon.podman(this.#binary, ["load", "--quiet", "--input", this.#image.path]);
    this.#client = new PodmanClient(this.#daemon.socket);
    if (!(await this.#api.call("GET", `/images/${encodeURIComponent(this.#image.imageName)}/exists`).then(() => true, () => false))) {
      throw new Error(`podman load did not make ${this.#image.imageName}`);
    }
    const v = await this.#api.call("GET", "/version");
    if (!(Number(String(v.Version).split(".")[0]) >= 4)) throw new Unavailable(`podman ${v.Version} serves no libpod 4 API (the bench needs Podman 4 or later)`);
    const component = (/** @type {string} */ prefix) =>
      (v.Components ?? []).find((/** @type {{ Name: string }} */ c) => c.Name.startsWith(prefix))?.Version?.split("\n")[0] ?? "?";
    this.version = `${v.Version} (API ${v.ApiVersion}; ${component("Conmon")}; ${component("OCI Runtime")}; cgroupfs, file events)`;
    // One stream for every exit, read from the service's start on, so no
    // exit is missed however late the stream becomes live.
    this.#closeEvents = this.#api.events(
      { type: ["container"], event: ["died"] },
      (e) => this.#exits.deliver(e.Actor.Attributes["name"] ?? e.Actor.ID, "init", Number(e.Actor.Attributes["containerExitCode"])),
      (err) => this.#exits.fail(new Error(`podman's event stream broke: ${err.message}`)),
      { since },
    );
  }

  async stop() {
    try {
      for (const id of [...this.#tracked]) await this.remove(id);
    } finally {
      this.#exits.fail(new Error("podman is stopping"));
      this.#closeEvents?.();
      this.#client?.close();
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
    await this.#createAndStart(id);
    return exit;
  }

  /** @param {string} id */
  async createRunning(id) {
    await this.#createAndStart(id);
  }

  /** @param {string} id */
  async remove(id) {
    if (!this.#tracked.has(id)) return;
    // force with timeout 0: SIGKILL at once, as berth's Delete(force) does,
    // not the stop signal and a 10 s grace.
    await this.#api.call("DELETE", `/containers/${id}?force=true&timeout=0`).catch((err) => {
      if (!(err instanceof PodmanError && err.status === 404)) throw err;
    });
    this.#exits.forget(id, "init");
    this.#tracked.delete(id);
    this.#prepared.delete(id);
  }

  /**
   * exec is what Podman's bindings do for `podman exec`: create the exec
   * session, start it attached (the response ends when the process has
   * exited), then inspect it for the exit code.
   * @param {string} id
   * @param {string} _execId libpod names exec sessions itself
   */
  async exec(id, _execId) {
    const created = await this.#api.call("POST", `/containers/${id}/exec`, { Cmd: WORKLOADS.exec, AttachStdout: true, AttachStderr: true });
    const session = /** @type {string} */ (created.Id);
    await this.#api.call("POST", `/exec/${session}/start`, { Detach: false }, [200]);
    const inspect = await waitFor(
      async () => {
        const s = await this.#api.call("GET", `/exec/${session}/json`);
        return s.Running === false ? s : undefined;
      },
      { timeoutMs: EXIT_TIMEOUT_MS, intervalMs: 1, what: `exec session ${session} to be recorded as exited` },
    );
    return /** @type {number} */ (inspect.ExitCode);
  }

  async settle() {}

  /** @param {string} id */
  async signalToExit(id) {
    const exit = this.#exits.expect(id, "init", EXIT_TIMEOUT_MS);
    await this.#api.call("POST", `/containers/${id}/kill?signal=KILL`);
    await exit;
  }

  /** @param {string} id */
  async pause(id) {
    await this.#api.call("POST", `/containers/${id}/pause`);
  }

  /** @param {string} id */
  async resume(id) {
    await this.#api.call("POST", `/containers/${id}/unpause`);
  }

  /**
   * stats reads libpod's own stats endpoint, one report and no stream (the
   * per-container /containers/{id}/stats is the Docker-compatible one,
   * deprecated in libpod 4).
   * @param {string} id
   */
  async stats(id) {
    const report = await this.#api.call("GET", `/containers/stats?containers=${id}&stream=false`);
    const s = report?.Stats?.[0];
    if (report?.Error || s === undefined || typeof s.MemUsage !== "number") throw new Error(`stats returned no memory stats for ${id}: ${JSON.stringify(report).slice(0, 200)}`);
  }

  /**
   * update sets the memory limit with libpod's update endpoint (new in
   * Podman 4.3; an older service answers 404, and the row fails with that).
   * @param {string} id
   * @param {number} memoryBytes
   */
  async update(id, memoryBytes) {
    await this.#api.call("POST", `/containers/${id}/update`, { memory: { limit: memoryBytes } });
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

  memoryPids() {
    const dir = this.#daemon.dir;
    // A container's own conmon, not those of exec sessions (which linger
    // for five minutes after their process, see podman-daemon.js).
    const monitors = listProcesses()
      .filter((p) => p.comm === "conmon" && !p.argv.includes("--exec-process-spec") && p.argv.some((arg) => arg.includes(dir)))
      .map((p) => p.pid);
    return { daemon: this.#daemon.pid === undefined ? [] : [this.#daemon.pid], monitors };
  }

  /**
   * @param {string} id
   * @param {number} n
   */
  subscribeStateChanges(id, n) {
    return startSubscribers(new URL("./podman-subscribers.js", import.meta.url).href, { socket: this.#daemon.socket, id }, n);
  }

  /**
   * The bridge row: a network of the service's own (POST /networks/create,
   * its CNI list written under --network-config-dir), and a container on it
   * with a port mapping, created and started as in the other rows, with
   * Podman's generated /etc/hosts and resolv.conf (berth writes its own).
   * @type {import("./system.js").BridgeSupport}
   */
  bridge = {
    how: "POST /containers/create {netns: bridge, Networks: {net}, portmappings: [127.0.0.1:P -> 8080/tcp]} + POST /containers/{id}/start (CNI ADD by libpod's CNI backend at start)",
    setUp: async (net) => {
      this.#net = net;
      await this.#api.call("POST", "/networks/create", {
        name: net.name,
        driver: "bridge",
        network_interface: net.bridge,
        subnets: [{ subnet: net.subnet, gateway: net.gateway }],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
      });
    },
    createRunning: async (id, hostPort) => {
      const net = this.#net;
      if (net === undefined) throw new Error("the bridge network is not set up");
      this.#tracked.add(id);
      this.#bridgeIds.push(id);
      const created = await this.#api.call("POST", "/containers/create", {
        name: id,
        image: this.#image.imageName,
        command: HTTPD,
        netns: { nsmode: "bridge" },
        Networks: { [net.name]: {} },
        portmappings: [{ host_ip: "127.0.0.1", host_port: hostPort, container_port: CONTAINER_PORT, protocol: "tcp" }],
        seccomp_profile_path: "unconfined",
        no_new_privileges: true,
        r_limits: RLIMITS,
        log_configuration: { driver: "k8s-file" },
        cgroup_parent: this.#cgroupParent,
      });
      this.#bridgeIds.push(String(created?.Id ?? ""));
      this.#fullIds.set(id, String(created?.Id ?? ""));
      await this.#api.call("POST", `/containers/${id}/start`);
    },
    remove: async (id) => {
      await this.remove(id);
      // conmon's exit command, `podman container cleanup <full id>`, starts
      // once the container's process is gone and outlives the removal; the
      // next system's timed create must not share the CPU with it.
      const full = this.#fullIds.get(id) ?? "";
      this.#fullIds.delete(id);
      if (full !== "") await waitFor(() => !listProcesses().some((p) => p.argv.includes(full)), { timeoutMs: 30_000, intervalMs: 10, what: `podman's processes for ${id} to end` });
    },
    tearDown: async () => {
      // #net stays: footprint() looks for its reservations afterwards.
      if (this.#net !== undefined) await this.#api.call("DELETE", `/networks/${this.#net.name}`);
    },
    footprint: () => {
      const ids = this.#bridgeIds.filter((id) => id !== "");
      const name = this.#net?.name;
      return { ids, files: [...ownedFilesIn("/var/lib/cni/results", ids), ...ownedFilesIn("/var/lib/cni/networks", name === undefined ? [] : [name])] };
    },
  };

  /** @param {string} id */
  async #createAndStart(id) {
    const workload = this.#prepared.get(id);
    if (workload === undefined) throw new Error(`podman container ${id} was not prepared`);
    this.#tracked.add(id);
    await this.#api.call("POST", "/containers/create", {
      name: id,
      image: this.#image.imageName,
      command: WORKLOADS[workload],
      netns: { nsmode: "none" },
      use_image_hosts: true,
      use_image_resolve_conf: true,
      seccomp_profile_path: "unconfined",
      no_new_privileges: true,
      r_limits: RLIMITS,
      log_configuration: { driver: "k8s-file" },
      cgroup_parent: this.#cgroupParent,
    });
    await this.#api.call("POST", `/containers/${id}/start`);
  }

  /** @returns {PodmanClient} */
  get #api() {
    if (this.#client === undefined) throw new Error("podman is not started");
    return this.#client;
  }
}
