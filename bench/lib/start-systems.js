// @ts-check
// startSystems builds the adapters in their fixed order (A B C D: the
// floor, the system under test, the alternatives), starts those the host can
// run, and says why the others cannot run. Each one's stop is registered
// with the workspace before it starts, so even a half-started system is
// cleaned up.
import { mkdir } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";

import { BerthSystem } from "../systems/berth.js";
import { ContainerdSystem } from "../systems/containerd.js";
import { PodmanSystem } from "../systems/podman.js";
import { RuncSystem } from "../systems/runc.js";
import { Unavailable } from "../systems/system.js";
import { daemonRss } from "../suites/memory.js";
import { cgroupExists } from "./cgroups.js";
import { buildOciArchive } from "./oci-image.js";

/** @typedef {import("../systems/system.js").System} System */
/** @typedef {import("./report.js").SystemStatus} SystemStatus */
/** @typedef {import("./workspace.js").Workspace} Workspace */
/** @typedef {import("./prereqs.js").Prerequisites} Prerequisites */
/** @typedef {import("./rootfs.js").BerthCode} BerthCode */

const IMAGE_NAME = "docker.io/library/berth-bench-busybox:latest";

/**
 * @typedef {object} Started
 * @property {System[]} systems the running ones, in order
 * @property {SystemStatus[]} statuses every one that was asked for
 * @property {Record<string, number | undefined>} idleRss daemon RSS just after start-up
 * @property {() => Promise<import("./oci-image.js").OciArchive>} image the
 *   one image archive of the shared tree (made on first use)
 */

/**
 * @param {object} o
 * @param {Workspace} o.ws
 * @param {Prerequisites} o.prereqs
 * @param {BerthCode} o.code
 * @param {string} o.rootfs the shared busybox root filesystem
 * @param {ReadonlySet<string>} o.wanted
 * @param {boolean} o.trace whether berth writes its phase trace
 * @param {(line: string) => void} o.log
 * @returns {Promise<Started>}
 */
export async function startSystems(o) {
  const { ws, prereqs, code, rootfs } = o;
  // Every container's cgroup lives below one folder per run (runc's and
  // containerd's), or below berth's namespace folder; the sweep removes both.
  const cgroupParent = `berth-bench-${ws.runId}`;
  ws.ownCgroup(cgroupParent);
  const berthNamespace = `bench-${ws.runId}`;
  if (!cgroupExists("berth")) ws.ownCgroupIfEmpty("berth");
  ws.ownCgroup(`berth/${berthNamespace}`);

  // One image archive of the shared busybox tree, for every system that
  // runs images (containerd imports it, Podman loads it).
  /** @type {Promise<import("./oci-image.js").OciArchive> | undefined} */
  let archive;
  const image = () =>
    (archive ??= (async () => {
      await mkdir(ws.path("image"));
      return buildOciArchive(rootfs, ws.path("image"), IMAGE_NAME);
    })());

  /** @type {Record<string, () => Promise<System>>} */
  const makers = {
    runc: async () =>
      new RuncSystem({
        runc: /** @type {string} */ (prereqs.paths["runc"]),
        version: prereqs.versions["runc"] ?? "",
        dir: ws.path("runc"),
        rootfs,
        cgroupParent: `/${cgroupParent}/runc`,
        code,
      }),
    berth: async () => new BerthSystem({ dir: ws.path("berth"), namespace: berthNamespace, rootfs, trace: o.trace }),
    containerd: async () =>
      new ContainerdSystem({
        binary: /** @type {string} */ (prereqs.paths["containerd"]),
        ctr: /** @type {string} */ (prereqs.paths["ctr"]),
        version: prereqs.versions["containerd"] ?? "",
        dir: ws.path("containerd"),
        image: await image(),
        cgroupParent: `/${cgroupParent}/containerd`,
        code,
        ws,
      }),
    podman: async () =>
      new PodmanSystem({
        binary: /** @type {string} */ (prereqs.paths["podman"]),
        conmon: /** @type {string} */ (prereqs.paths["conmon"]),
        runc: /** @type {string} */ (prereqs.paths["runc"]),
        version: prereqs.versions["podman"] ?? "",
        dir: ws.path("podman"),
        image: await image(),
        cgroupParent: `/${cgroupParent}/podman`,
      }),
  };

  /** @type {Started} */
  const out = { systems: [], statuses: [], idleRss: {}, image };
  for (const [name, make] of Object.entries(makers)) {
    if (!o.wanted.has(name)) continue;
    const reason = prereqs.unavailable[name];
    if (reason !== undefined) {
      out.statuses.push({ name, status: "unavailable", version: "", reason });
      o.log(`${name}: unavailable: ${reason}`);
      continue;
    }
    try {
      const sys = await make();
      ws.onClose(`stop ${name}`, () => sys.stop());
      await sys.start();
      await delay(500);
      out.idleRss[name] = daemonRss(sys);
      out.systems.push(sys);
      out.statuses.push({ name, status: "measured", version: sys.version });
      o.log(`${name}: ready (${sys.version})`);
    } catch (err) {
      const message = /** @type {Error} */ (err).message;
      const unavailable = err instanceof Unavailable;
      out.statuses.push({ name, status: unavailable ? "unavailable" : "failed", version: "", reason: message });
      o.log(`${name}: ${unavailable ? "unavailable" : "failed to start"}: ${message}`);
    }
  }
  return out;
}
