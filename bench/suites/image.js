// @ts-check
// The create-from-image row (issue 11): create to running from an image
// reference already in the store. The same OCI archive of the shared
// busybox tree is in both stores before the clock starts (berth: Load;
// containerd: `ctr images import` at its start-up, which its every
// container already runs from); then, taking turns in every repetition:
// berth creating from the image by reference, berth creating from the
// folder (the latency row's create to running), and containerd preparing a
// snapshot of the image's chain id and creating the container and task.
// Goal: berth from an image within 10 % of berth from a folder.
import { time } from "../lib/harness.js";
import { pairedRatio, summarize } from "../lib/stats.js";
import { withTimeout } from "../lib/wait.js";

/** @typedef {import("../systems/system.js").System} System */
/** @typedef {import("../systems/berth.js").BerthSystem} BerthSystem */
/** @typedef {import("../lib/stats.js").Summary} Summary */

const REP_TIMEOUT_MS = 60_000;
export const BERTH_IMAGE = "berth image";
export const BERTH_FOLDER = "berth folder";

/**
 * @typedef {object} ImageResult
 * @property {string} image what the image is
 * @property {Record<string, { summary: Summary | undefined, samples: (number | undefined)[] }>} contenders
 * @property {Record<string, number | undefined>} ratios "berth folder/berth image", "containerd/berth image"
 * @property {Record<string, string>} errors contender -> why it stopped
 * @property {string} [error] why the row was not measured at all
 */

/**
 * @typedef {object} Contender
 * @property {string} name
 * @property {System} sys
 * @property {(id: string) => Promise<void>} create the timed call
 */

/**
 * @param {object} o
 * @param {readonly System[]} o.systems
 * @param {() => Promise<import("../lib/oci-image.js").OciArchive>} o.image
 * @param {number} o.reps
 * @param {number} o.warmup
 * @param {(line: string) => void} o.log
 * @returns {Promise<ImageResult>}
 */
export async function measureImage(o) {
  /** @type {ImageResult} */
  const result = { image: "the shared busybox tree as a one-layer OCI image, loaded before the clock starts", contenders: {}, ratios: {}, errors: {} };
  const berth = /** @type {BerthSystem | undefined} */ (o.systems.find((s) => s.name === "berth"));
  if (berth === undefined) {
    result.error = "berth is not among the measured systems";
    return result;
  }
  const archive = await o.image();
  await berth.loadImage(archive.path);
  /** @type {Contender[]} */
  const contenders = [
    { name: BERTH_IMAGE, sys: berth, create: (id) => berth.createRunningFromImage(id, archive.imageName) },
    { name: BERTH_FOLDER, sys: berth, create: (id) => berth.createRunning(id) },
  ];
  const containerd = o.systems.find((s) => s.name === "containerd");
  // containerd's create to running is from its imported image already.
  if (containerd !== undefined) contenders.push({ name: "containerd", sys: containerd, create: (id) => containerd.createRunning(id) });

  /** @type {Record<string, (number | undefined)[]>} */
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  const ok = new Set(contenders);
  for (let rep = 0; rep < o.warmup + o.reps; rep++) {
    for (const c of contenders) {
      /** @type {number | undefined} */
      let ms;
      if (ok.has(c)) {
        const id = `image-row-${c.name.replace(/[^a-z]/g, "")}-${rep}`;
        try {
          await c.sys.prepare(id, "sleep");
          ms = await withTimeout(time(() => c.create(id)), REP_TIMEOUT_MS, `create from image rep ${rep} on ${c.name}`);
          await c.sys.remove(id);
          await c.sys.settle();
        } catch (err) {
          result.errors[c.name] ??= /** @type {Error} */ (err).message;
          o.log(`    ${c.name}: ${/** @type {Error} */ (err).message}`);
          ok.delete(c);
          await c.sys.remove(id).catch(() => {});
        }
      }
      if (rep >= o.warmup) samples[c.name]?.push(ms);
    }
  }
  for (const [who, list] of Object.entries(samples)) {
    result.contenders[who] = { summary: summarize(list.filter((v) => v !== undefined)), samples: list.map((v) => (v === undefined ? v : Math.round(v * 1000) / 1000)) };
  }
  const image = samples[BERTH_IMAGE] ?? [];
  for (const other of [BERTH_FOLDER, "containerd"]) {
    const theirs = samples[other];
    result.ratios[`${other}/${BERTH_IMAGE}`] = theirs !== undefined ? pairedRatio(theirs, image) : undefined;
  }
  return result;
}
