// @ts-check
// containerd's bridge networking for the bridge row: `ctr run --cni`, the
// CNI path containerd has without its CRI plugin (CNI is client code in
// containerd: ctr calls go-cni between Tasks.Create and Tasks.Start, with
// the task's /proc/<pid>/ns/net). containerd 1.6's ctr reads its network
// only from go-cni's defaults, /etc/cni/net.d and /opt/cni/bin, and has no
// flag or variable to point it elsewhere; so ctr runs in a private mount
// namespace of the bench's (unshare, held by one process for the row;
// nsenter per call) where a tmpfs covers /opt, Debian's /usr/lib/cni is
// bound on /opt/cni/bin and the bench's own folder on /etc/cni/net.d. The
// host's /etc/cni/net.d is never written.
//
// The network is berth's list: bridge with host-local (its reservations in
// the private root), portmap and firewall (ingressPolicy same-bridge).
// ctr passes no port mappings to go-cni, so the one published port is
// portmap's runtimeConfig written into the list itself (libcni passes a
// plugin's configuration on as it is when no capability asks for more).
// ctr never runs CNI DEL for a detached container; remove() does, with the
// result libcni cached, before the task is killed (as a CNI runtime must,
// while the namespace still exists), untimed.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { CONTAINER_PORT, HTTPD } from "../lib/bridge-net.js";
import { runChecked } from "../lib/spawn.js";
import { waitFor } from "../lib/wait.js";

/** @typedef {import("../lib/bridge-net.js").BridgeNet} BridgeNet */

const PLUGIN_DIR = "/usr/lib/cni";
/** libcni's default cache: <network>-<container id>-<ifname> under results/. */
export const LIBCNI_RESULTS = "/var/lib/cni/results";
const IFNAME = "eth0";

export class CtrCni {
  #o;
  /** @type {import("node:child_process").ChildProcess | undefined} */ #holder;
  /** @type {Record<string, unknown>[]} */ #plugins = [];
  /** @type {BridgeNet | undefined} */ #net;

  /**
   * @param {object} o
   * @param {string} o.ctr
   * @param {string} o.socket containerd's
   * @param {string} o.namespace
   * @param {string} o.image the imported image's name
   * @param {string} o.dir a private folder for the network list and the reservations
   * @param {string} o.runcRoot
   * @param {string} o.cgroupParent
   */
  constructor(o) {
    this.#o = o;
  }

  /** The id go-cni gives the plugins: ctr's "<namespace>-<id>". */
  cniId(/** @type {string} */ id) {
    return `${this.#o.namespace}-${id}`;
  }

  /**
   * setUp writes the network list and makes the mount namespace ctr runs in.
   * @param {BridgeNet} net
   * @param {number} hostPort
   */
  async setUp(net, hostPort) {
    if (!existsSync(PLUGIN_DIR)) throw new Error(`${PLUGIN_DIR} does not exist (apt-get install containernetworking-plugins)`);
    if (!existsSync("/etc/cni/net.d")) throw new Error("/etc/cni/net.d does not exist to bind the bench's network list on");
    this.#net = net;
    const dir = this.#o.dir;
    await mkdir(join(dir, "net.d"), { recursive: true });
    await mkdir(join(dir, "ipam"), { recursive: true });
    this.#plugins = [
      {
        type: "bridge",
        bridge: net.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: "host-local", ranges: [[{ subnet: net.subnet, gateway: net.gateway }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: join(dir, "ipam") },
      },
      { type: "portmap", snat: true, runtimeConfig: { portMappings: [{ hostIP: "127.0.0.1", hostPort, containerPort: CONTAINER_PORT, protocol: "tcp" }] } },
      { type: "firewall", backend: "iptables", ingressPolicy: "same-bridge" },
    ];
    await writeFile(join(dir, "net.d", "10-bench.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: net.name, plugins: this.#plugins }, null, 2));

    // The holder names the private root in its arguments, so the sweep
    // finds it if the bench is killed.
    const hold = join(dir, "mount-namespace-holder");
    await writeFile(hold, "");
    const holder = spawn("unshare", ["--mount", "--propagation", "private", "--", "tail", "-f", hold], { stdio: "ignore" });
    this.#holder = holder;
    const ours = readLink("/proc/self/ns/mnt");
    await waitFor(async () => (holder.pid !== undefined && readLink(`/proc/${holder.pid}/ns/mnt`) !== ours && readComm(holder.pid) === "tail" ? true : undefined), {
      timeoutMs: 5000,
      intervalMs: 5,
      what: "unshare to make the mount namespace ctr runs in",
    });
    await this.#inNamespace("mount", ["-t", "tmpfs", "-o", "mode=0755", "bench-opt", "/opt"]);
    await this.#inNamespace("mkdir", ["-p", "/opt/cni/bin"]);
    await this.#inNamespace("mount", ["--bind", PLUGIN_DIR, "/opt/cni/bin"]);
    await this.#inNamespace("mount", ["--bind", join(dir, "net.d"), "/etc/cni/net.d"]);
  }

  /**
   * runDetached is the timed call: `ctr run -d --cni` of busybox httpd,
   * which returns once the task has started with its address and port.
   * @param {string} id
   */
  async runDetached(id) {
    const o = this.#o;
    await this.#inNamespace(o.ctr, [
      "--address", o.socket,
      "--namespace", o.namespace,
      "run", "-d", "--null-io", "--cni",
      "--snapshotter", "overlayfs",
      "--runc-root", o.runcRoot,
      "--cgroup", `${o.cgroupParent}/${id}`,
      o.image, id, ...HTTPD,
    ]);
  }

  /**
   * del runs CNI DEL for container id (whose init is pid) with the result
   * libcni cached at ADD, the plugins in reverse order, then removes the
   * cached result.
   * @param {string} id
   * @param {number} pid
   */
  async del(id, pid) {
    const net = this.#net;
    if (net === undefined) return;
    const cache = join(LIBCNI_RESULTS, `${net.name}-${this.cniId(id)}-${IFNAME}`);
    const prevResult = existsSync(cache) ? JSON.parse(readFileSync(cache, "utf8")).result : undefined;
    const env = { CNI_COMMAND: "DEL", CNI_CONTAINERID: this.cniId(id), CNI_NETNS: `/proc/${pid}/ns/net`, CNI_IFNAME: IFNAME, CNI_PATH: PLUGIN_DIR, PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin" };
    for (const plugin of [...this.#plugins].reverse()) {
      const config = { cniVersion: "1.0.0", name: net.name, ...plugin, ...(prevResult !== undefined && { prevResult }) };
      await withStdin(join(PLUGIN_DIR, String(plugin["type"])), JSON.stringify(config), env);
    }
    await rm(cache, { force: true });
  }

  /** tearDown ends the mount namespace (its mounts go with it). */
  async tearDown() {
    const holder = this.#holder;
    this.#holder = undefined;
    if (holder === undefined || holder.exitCode !== null) return;
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;
  }

  /**
   * @param {string} file
   * @param {readonly string[]} args
   */
  async #inNamespace(file, args) {
    const pid = this.#holder?.pid;
    if (pid === undefined) throw new Error("the mount namespace for ctr is not set up");
    await runChecked("nsenter", ["--target", String(pid), "--mount", "--", file, ...args]);
  }
}

/** @param {string} path */
function readLink(path) {
  try {
    return readlinkSync(path); // "mnt:[inode]"
  } catch {
    return "";
  }
}

/** @param {number} pid */
function readComm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/**
 * withStdin runs a CNI plugin: the configuration on stdin, its answer (or
 * error, as JSON) on stdout.
 * @param {string} file
 * @param {string} input
 * @param {NodeJS.ProcessEnv} env
 */
function withStdin(file, input, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { stdio: ["pipe", "pipe", "pipe"], env });
    /** @type {Buffer[]} */
    const out = [];
    child.stdout.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => out.push(c));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(undefined);
      else reject(new Error(`CNI DEL by ${file} exited with ${code}: ${Buffer.concat(out).toString("utf8").trim()}`));
    });
    child.stdin.end(input);
  });
}

