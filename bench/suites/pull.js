// @ts-check
// The pull row (issue 11): one multi-layer image fetched from a local
// docker-registry on 127.0.0.1 over plain HTTP and unpacked, by berth
// (ImageService.Pull: fetch, verify, unpack into its snapshots, record), by
// containerd (`ctr images pull --plain-http`: fetch into its content store,
// unpack into overlayfs snapshots) and by `skopeo copy` to an OCI folder
// followed by `umoci unpack` (the daemonless tools). Every timed pull gets
// an image of its own, pushed before the clock starts and sharing no blob
// with any other, so each one fetches and unpacks everything; the three
// take turns in every repetition, as the other rows do.
import { mkdir, rm } from "node:fs/promises";

import { time } from "../lib/harness.js";
import { startLocalRegistry } from "../lib/local-registry.js";
import { buildPullImage, PULL_IMAGE_SHAPE } from "../lib/pull-images.js";
import { median, pairedRatio, summarize } from "../lib/stats.js";
import { runChecked } from "../lib/spawn.js";
import { withTimeout } from "../lib/wait.js";

/** @typedef {import("../systems/system.js").System} System */
/** @typedef {import("../lib/stats.js").Summary} Summary */

const PULL_TIMEOUT_MS = 120_000;
export const SKOPEO = "skopeo+umoci";

/**
 * @typedef {object} PullResult
 * @property {string} image what each pulled image is made of
 * @property {number | undefined} imageBytes config and layers, compressed (median)
 * @property {string} registry
 * @property {Record<string, { summary: Summary | undefined, samples: (number | undefined)[] }>} contenders
 * @property {Record<string, number | undefined>} ratios "containerd/berth", "skopeo+umoci/berth"
 * @property {Record<string, string>} errors contender -> why it stopped
 * @property {string} [error] why the row was not measured at all
 */

/**
 * @typedef {object} Contender
 * @property {string} name
 * @property {(reference: string, rep: number) => Promise<void>} pull
 * @property {(rep: number) => Promise<void>} [clean] untimed, after each pull
 */

/**
 * @param {object} o
 * @param {import("../lib/workspace.js").Workspace} o.ws
 * @param {readonly System[]} o.systems
 * @param {Record<string, string>} o.paths tool -> path (prereqs.paths)
 * @param {string} o.rootfs
 * @param {number} o.reps
 * @param {number} o.warmup
 * @param {(line: string) => void} o.log
 * @returns {Promise<PullResult>}
 */
export async function measurePull(o) {
  const { paths, log } = o;
  /** @type {PullResult} */
  const result = { image: PULL_IMAGE_SHAPE, imageBytes: undefined, registry: "docker-registry on 127.0.0.1, plain HTTP", contenders: {}, ratios: {}, errors: {} };
  const registry = paths["docker-registry"];
  const skopeo = paths["skopeo"];
  if (registry === undefined || skopeo === undefined) {
    result.error = "docker-registry and skopeo are needed for the pull row (apt-get install docker-registry skopeo)";
    return result;
  }
  /** @type {Contender[]} */
  const contenders = [];
  for (const sys of o.systems) {
    const pull = sys.pullImage;
    if (pull !== undefined) contenders.push({ name: sys.name, pull: (ref) => pull.call(sys, ref) });
  }
  const umoci = paths["umoci"];
  if (umoci !== undefined) contenders.push(skopeoUmoci(o.ws, skopeo, umoci));
  else result.errors[SKOPEO] = "umoci is not on PATH (apt-get install umoci)";
  if (contenders.length === 0) {
    result.error = "no measured system can pull";
    return result;
  }

  const local = await startLocalRegistry(o.ws, { registry, skopeo });
  const total = o.warmup + o.reps;
  const name = (/** @type {number} */ rep, /** @type {Contender} */ c) => `bench/pull-${rep}-${c.name.replace(/[^a-z0-9]/g, "")}`;
  log(`pull: building and pushing ${total * contenders.length} images (${PULL_IMAGE_SHAPE}) to ${local.host}`);
  /** @type {number[]} */
  const sizes = [];
  for (let rep = 0; rep < total; rep++) {
    for (const c of contenders) {
      const work = o.ws.path("pull-images", name(rep, c).replace(/\//g, "-"));
      await mkdir(work, { recursive: true });
      const image = await buildPullImage(o.rootfs, work, name(rep, c));
      await local.push(image.layout, name(rep, c));
      sizes.push(image.bytes);
      await rm(work, { recursive: true, force: true });
    }
  }
  result.imageBytes = sizes.length > 0 ? median(sizes) : undefined;

  /** @type {Record<string, (number | undefined)[]>} */
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  const ok = new Set(contenders);
  for (let rep = 0; rep < total; rep++) {
    for (const c of contenders) {
      /** @type {number | undefined} */
      let ms;
      if (ok.has(c)) {
        try {
          ms = await withTimeout(time(() => c.pull(`${local.host}/${name(rep, c)}:latest`, rep)), PULL_TIMEOUT_MS, `pull rep ${rep} on ${c.name}`);
          await c.clean?.(rep);
        } catch (err) {
          result.errors[c.name] ??= /** @type {Error} */ (err).message;
          log(`    ${c.name}: ${/** @type {Error} */ (err).message}`);
          ok.delete(c);
        }
      }
      if (rep >= o.warmup) samples[c.name]?.push(ms);
    }
  }
  for (const [who, list] of Object.entries(samples)) {
    result.contenders[who] = { summary: summarize(list.filter((v) => v !== undefined)), samples: list.map((v) => (v === undefined ? v : Math.round(v * 1000) / 1000)) };
  }
  const berth = samples["berth"];
  for (const other of ["containerd", SKOPEO]) {
    const theirs = samples[other];
    result.ratios[`${other}/berth`] = berth !== undefined && theirs !== undefined ? pairedRatio(theirs, berth) : undefined;
  }
  return result;
}

/**
 * skopeoUmoci pulls as the daemonless tools do: `skopeo copy` from the
 * registry into an OCI layout, then `umoci unpack` of it into a runtime
 * bundle (rootfs and config.json); each repetition's folder is removed
 * afterwards, untimed.
 * @param {import("../lib/workspace.js").Workspace} ws
 * @param {string} skopeo
 * @param {string} umoci
 * @returns {Contender}
 */
function skopeoUmoci(ws, skopeo, umoci) {
  const dir = (/** @type {number} */ rep) => ws.path("skopeo", `pull-${rep}`);
  const env = { ...process.env, HOME: ws.path("skopeo"), TMPDIR: ws.path("skopeo") };
  return {
    name: SKOPEO,
    pull: async (reference, rep) => {
      await mkdir(dir(rep), { recursive: true });
      await runChecked(skopeo, ["copy", "--quiet", "--src-tls-verify=false", `docker://${reference}`, `oci:${dir(rep)}/layout:latest`], { env });
      await runChecked(umoci, ["unpack", "--image", `${dir(rep)}/layout:latest`, `${dir(rep)}/bundle`], { env });
    },
    clean: (rep) => rm(dir(rep), { recursive: true, force: true }),
  };
}
