// @ts-check
// The host's cgroup hierarchies: which mode the host runs in, and the sweep
// that removes a cgroup subtree the benchmark made, in every hierarchy
// (cgroup v1 controllers, name=systemd and the v2 "unified" one on a hybrid
// host), thawing and killing what is still inside first.
import { readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/**
 * @typedef {object} CgroupMount
 * @property {string} path where the hierarchy is mounted
 * @property {"cgroup" | "cgroup2"} type
 * @property {string} options its superblock options (the v1 controllers)
 */

/**
 * cgroupMounts lists the mounted cgroup hierarchies, from mountinfo.
 * @returns {CgroupMount[]}
 */
export function cgroupMounts() {
  /** @type {CgroupMount[]} */
  const mounts = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (left === undefined || right === undefined) continue;
    const [type, , superOptions = ""] = right.split(" ");
    if (type !== "cgroup" && type !== "cgroup2") continue;
    const mountPoint = unescapeMountPath(left.split(" ")[4] ?? "");
    mounts.push({ path: mountPoint, type, options: superOptions });
  }
  return mounts;
}

/**
 * cgroupMode names how the host mounts cgroups: "v2 (unified)", "hybrid (v1
 * controllers, v2 unified at /sys/fs/cgroup/unified)" or "v1 (legacy)".
 * @returns {string}
 */
export function cgroupMode() {
  const mounts = cgroupMounts();
  if (mounts.some((m) => m.type === "cgroup2" && m.path === "/sys/fs/cgroup")) return "v2 (unified)";
  const unified = mounts.find((m) => m.type === "cgroup2");
  if (unified !== undefined) return `hybrid (v1 controllers; v2 unified at ${unified.path}, no controllers)`;
  return "v1 (legacy)";
}

/**
 * sweepCgroup removes the cgroup subtree at relative path rel (for example
 * "berth-bench-1234") from every hierarchy: it thaws frozen cgroups, SIGKILLs
 * every process still inside, waits for them to leave and removes the
 * directories bottom-up. It returns what it could not remove.
 * @param {string} rel
 * @returns {Promise<string[]>}
 */
export async function sweepCgroup(rel) {
  const clean = rel.replace(/^\/+/, "");
  if (clean === "" || clean.split("/").includes("..")) throw new Error(`refusing to sweep cgroup ${JSON.stringify(rel)}`);
  /** @type {string[]} */
  const left = [];
  for (const mount of cgroupMounts()) {
    const top = join(mount.path, clean);
    if (!isDirectory(top)) continue;
    const dirs = subtree(top); // parents before children
    for (const dir of dirs) thaw(dir);
    for (const dir of dirs.reverse()) {
      if (!(await emptyCgroup(dir))) {
        left.push(`${dir} (processes still inside)`);
        continue;
      }
      try {
        rmdirSync(dir);
      } catch (err) {
        // Gone already: removed meanwhile by its runtime (an interrupted
        // run's deletes still finish), or the same hierarchy is mounted twice.
        if (/** @type {NodeJS.ErrnoException} */ (err).code !== "ENOENT") left.push(`${dir} (${/** @type {Error} */ (err).message})`);
      }
    }
  }
  return left;
}

/**
 * removeEmptyCgroup removes the cgroup folder rel from every hierarchy where
 * it exists and is empty (no processes, no child cgroups).
 * @param {string} rel
 */
export function removeEmptyCgroup(rel) {
  const clean = rel.replace(/^\/+/, "");
  if (clean === "" || clean.split("/").includes("..")) return;
  for (const mount of cgroupMounts()) {
    try {
      rmdirSync(join(mount.path, clean));
    } catch {
      // absent, or still in use
    }
  }
}

/**
 * cgroupExists tells whether rel exists in any hierarchy.
 * @param {string} rel
 * @returns {boolean}
 */
export function cgroupExists(rel) {
  return cgroupMounts().some((m) => isDirectory(join(m.path, rel.replace(/^\/+/, ""))));
}

/**
 * @param {string} dir
 * @returns {string[]} dir and every cgroup below it, parents first
 */
function subtree(dir) {
  /** @type {string[]} */
  const out = [dir];
  for (let i = 0; i < out.length; i++) {
    const current = /** @type {string} */ (out[i]);
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.isDirectory()) out.push(join(current, entry.name));
    }
  }
  return out;
}

/** @param {string} dir */
function thaw(dir) {
  // v1 freezer, then v2; a hierarchy has at most one of the two files.
  for (const [file, value] of [["freezer.state", "THAWED"], ["cgroup.freeze", "0"]]) {
    try {
      writeFileSync(join(dir, /** @type {string} */ (file)), /** @type {string} */ (value));
    } catch {
      // not this hierarchy's file
    }
  }
}

/**
 * emptyCgroup kills what is left in dir and waits up to two seconds for it
 * to leave.
 * @param {string} dir
 * @returns {Promise<boolean>}
 */
async function emptyCgroup(dir) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const pids = readPids(dir);
    if (pids.length === 0) return true;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await delay(10);
  }
  return readPids(dir).length === 0;
}

/**
 * @param {string} dir
 * @returns {number[]}
 */
function readPids(dir) {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/** @param {string} path */
function isDirectory(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * unescapeMountPath decodes mountinfo's octal escapes (\040 for a space).
 * @param {string} path
 */
export function unescapeMountPath(path) {
  return path.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}
