// @ts-check
// Workspace is the benchmark's private temporary root and everything it
// must leave behind as it found it. Every system registers how to stop
// itself in order (delete its containers through its API, stop its daemon);
// then one sweep removes whatever is left, found from facts on the host
// rather than from bookkeeping that a crash could lose: processes whose
// command line mentions the root, the cgroup subtrees the run used, mounts
// under the root, and the root itself. An owner file lets a later run sweep
// the leftovers of one that was killed with SIGKILL.
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

import { cgroupExists, removeEmptyCgroup, sweepCgroup, unescapeMountPath } from "./cgroups.js";
import { processesMentioning } from "./proc.js";
import { run } from "./spawn.js";
import { withTimeout } from "./wait.js";

const PREFIX = "berth-bench-";
const OWNER_FILE = "owner.json";
const HOOK_TIMEOUT_MS = 60_000;

/**
 * @typedef {object} OwnerRecord
 * @property {number} pid the benchmark's pid
 * @property {string} startedAt
 * @property {string[]} cgroups cgroup subtrees (relative paths) to sweep
 * @property {string[]} files paths outside the root to remove (shim sockets)
 * @property {string[]} emptyDirs folders outside the root that the run
 *   created and removes if nothing else put anything in them
 * @property {string[]} emptyCgroups cgroup folders (relative paths) the run
 *   created and removes from every hierarchy if they are empty by then
 */

export class Workspace {
  /** @type {string} */ root;
  /** @type {string} */ runId;
  /** @type {OwnerRecord} */ #owner;
  /** @type {{ name: string, fn: () => Promise<void> }[]} */ #hooks = [];
  /** @type {Promise<string[]> | undefined} */ #closing;

  /**
   * @param {string} root
   * @param {OwnerRecord} owner
   */
  constructor(root, owner) {
    this.root = root;
    this.runId = root.slice(root.lastIndexOf(PREFIX) + PREFIX.length).replace(/[^a-zA-Z0-9]/g, "");
    this.#owner = owner;
  }

  /**
   * create makes a fresh private root under the system's temporary folder.
   * @returns {Promise<Workspace>}
   */
  static async create() {
    const root = await mkdtemp(join(tmpdir(), PREFIX));
    const ws = new Workspace(root, { pid: process.pid, startedAt: new Date().toISOString(), cgroups: [], files: [], emptyDirs: [], emptyCgroups: [] });
    ws.#save();
    return ws;
  }

  /**
   * path joins parts under the root.
   * @param {...string} parts
   */
  path(...parts) {
    return join(this.root, ...parts);
  }

  /**
   * ownCgroup records a cgroup subtree (relative to each hierarchy's root)
   * that the sweep must remove.
   * @param {string} rel
   */
  ownCgroup(rel) {
    if (!this.#owner.cgroups.includes(rel)) this.#owner.cgroups.push(rel);
    this.#save();
  }

  /**
   * ownFile records a path outside the root that the sweep must remove.
   * @param {string} path
   */
  ownFile(path) {
    if (!this.#owner.files.includes(path)) this.#owner.files.push(path);
    this.#save();
  }

  /**
   * ownIfEmpty records a folder outside the root that the run created; the
   * sweep removes it if it is empty by then.
   * @param {string} path
   */
  ownIfEmpty(path) {
    if (!this.#owner.emptyDirs.includes(path)) this.#owner.emptyDirs.push(path);
    this.#save();
  }

  /**
   * ownCgroupIfEmpty records a cgroup folder the run created (a parent that
   * a system makes, such as berth's "/berth"); the sweep removes it from
   * every hierarchy where it is empty by then.
   * @param {string} rel
   */
  ownCgroupIfEmpty(rel) {
    if (!this.#owner.emptyCgroups.includes(rel)) this.#owner.emptyCgroups.push(rel);
    this.#save();
  }

  /**
   * onClose registers an orderly shutdown step; steps run last-registered
   * first, each bounded in time, before the sweep.
   * @param {string} name
   * @param {() => Promise<void>} fn
   */
  onClose(name, fn) {
    this.#hooks.push({ name, fn });
  }

  /**
   * close runs the shutdown steps, then sweeps; it returns what could not be
   * removed (empty when the host is as it was). Calling it again returns the
   * same result.
   * @returns {Promise<string[]>}
   */
  close() {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close() {
    /** @type {string[]} */
    const problems = [];
    for (const hook of this.#hooks.reverse()) {
      try {
        await withTimeout(hook.fn(), HOOK_TIMEOUT_MS, `cleanup step ${hook.name}`);
      } catch (err) {
        problems.push(`cleanup step ${hook.name} failed: ${/** @type {Error} */ (err).message}`);
      }
    }
    const left = await sweep(this.root, this.#owner);
    // Failed steps matter only if they left something behind.
    return left.length === 0 ? [] : [...problems, ...left];
  }

  #save() {
    writeFileSync(join(this.root, OWNER_FILE), JSON.stringify(this.#owner, null, 2));
  }
}

/**
 * sweepStaleWorkspaces removes the leftovers of earlier runs whose process is
 * gone (killed before it could clean up) and returns what it removed.
 * @returns {Promise<string[]>}
 */
export async function sweepStaleWorkspaces() {
  /** @type {string[]} */
  const swept = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const root = join(tmpdir(), name);
    /** @type {OwnerRecord | undefined} */
    let owner;
    try {
      owner = JSON.parse(readFileSync(join(root, OWNER_FILE), "utf8"));
    } catch {
      continue; // not ours, or being created right now
    }
    if (owner === undefined || isAlive(owner.pid)) continue;
    const left = await sweep(root, owner);
    swept.push(left.length === 0 ? root : `${root} (left: ${left.join("; ")})`);
  }
  return swept;
}

/**
 * sweep removes everything an owner record and the root point to.
 * @param {string} root
 * @param {OwnerRecord} owner
 * @returns {Promise<string[]>}
 */
async function sweep(root, owner) {
  // 1. Processes started for the run: daemons, shims, monitors, runc.
  await killMentioning(root);
  // 2. Containers: thaw, kill and remove their cgroups.
  /** @type {string[]} */
  const left = [];
  for (const rel of owner.cgroups) left.push(...(await sweepCgroup(rel)));
  for (const rel of owner.emptyCgroups ?? []) removeEmptyCgroup(rel);
  // A monitor may have been mid-spawn; look once more.
  await killMentioning(root);
  // 3. Mounts (rootfs overlays of containerd's shims and berth), deepest first.
  for (const mountPoint of mountsUnder(root).reverse()) {
    const result = await run("umount", [mountPoint]);
    if (result.code !== 0) await run("umount", ["-l", mountPoint]);
  }
  // 4. Files outside the root, then the root.
  for (const file of owner.files) rmSync(file, { force: true, recursive: true });
  // Deepest first: /run/containerd/s before /run/containerd.
  for (const dir of [...(owner.emptyDirs ?? [])].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty (someone else uses it) or already gone
    }
  }
  try {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    left.push(`${root}: ${/** @type {Error} */ (err).message}`);
  }
  // 5. Verify.
  for (const p of processesMentioning(root)) left.push(`process ${p.pid} (${p.argv.join(" ")})`);
  for (const m of mountsUnder(root)) left.push(`mount ${m}`);
  for (const rel of owner.cgroups) if (cgroupExists(rel)) left.push(`cgroup ${rel}`);
  for (const file of owner.files) if (existsSync(file)) left.push(`file ${file}`);
  if (existsSync(root)) left.push(`directory ${root}`);
  return left;
}

/** @param {string} needle */
async function killMentioning(needle) {
  for (let round = 0; round < 50; round++) {
    const found = processesMentioning(needle);
    if (found.length === 0) return;
    for (const p of found) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await delay(20);
  }
}

/**
 * mountsUnder lists mount points below root, in mount order.
 * @param {string} root
 * @returns {string[]}
 */
export function mountsUnder(root) {
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => unescapeMountPath(line.split(" ")[4] ?? ""))
    .filter((mountPoint) => mountPoint.startsWith(prefix));
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
