// @ts-check
// What V8's flags for a daemon cost and buy (issue 15: "measure RSS with V8
// flags that fit a daemon and keep what helps"): berth daemons that differ
// only in those flags, measured in the same repetitions, the order rotating
// every repetition, so the machine's load falls on all alike: `berth serve`
// as shipped (bin/berth.js sets its flags), V8's own (BERTH_V8_DEFAULTS=1),
// and candidates (V8's own plus node flags), each compared with V8's own.
// Timed per repetition and daemon: create to running, exec to exit code, the
// median of FLOOR_CALLS empty unary calls, Stats, Delete(force) of the
// running container just made. Memory: each daemon's RSS just after start,
// with `running` containers up, and after the row.
import { setTimeout as delay } from "node:timers/promises";

import { cgroupExists } from "../lib/cgroups.js";
import { time } from "../lib/harness.js";
import { loadAverage } from "../lib/machine.js";
import { rssBytes } from "../lib/proc.js";
import { median, pairedRatio, summarize } from "../lib/stats.js";
import { BerthSystem } from "../systems/berth.js";
import { RPC_FLOOR } from "./latency.js";

/** @typedef {import("../lib/workspace.js").Workspace} Workspace */
/** @typedef {import("../lib/stats.js").Summary} Summary */

const FLOOR_CALLS = 10;
const LIVE = "live";
export const V8_METRICS = ["create to running", "exec to exit code (sh -c :)", RPC_FLOOR, "stats", "delete (force, running)"];

const OWN = { BERTH_V8_DEFAULTS: "1" };
/** @type {Array<{ name: string, what: string, env: Record<string, string>, nodeArgs: string[] }>} */
export const V8_VARIANTS = [
  { name: "shipped", what: "berth serve as shipped (bin/berth.js's flags)", env: {}, nodeArgs: [] },
  { name: "semi1", what: "--max-semi-space-size=1 alone", env: OWN, nodeArgs: ["--max-semi-space-size=1"] },
  { name: "ofs", what: "--optimize-for-size alone", env: OWN, nodeArgs: ["--optimize-for-size"] },
  { name: "defaults", what: "BERTH_V8_DEFAULTS=1: V8's own", env: OWN, nodeArgs: [] },
];
const BASE = "defaults";
const CANDIDATES = V8_VARIANTS.filter((v) => v.name !== BASE);

/**
 * @typedef {object} V8Result
 * @property {number} reps
 * @property {number} warmup
 * @property {number} running how many containers ran for the "with N running" figure
 * @property {string} loadAtStart
 * @property {string} [loadAtEnd]
 * @property {Record<string, { idle?: number, withRunning?: number, after?: number }>} rss variant -> bytes
 * @property {Record<string, Record<string, Summary | undefined>>} summaries metric -> variant -> milliseconds
 * @property {Record<string, Record<string, number | undefined>>} ratios metric -> variant -> paired ratio to V8's own
 * @property {string} [error]
 */

/**
 * measureV8 starts both daemons, measures, and stops them.
 * @param {object} o
 * @param {Workspace} o.ws
 * @param {string} o.rootfs the shared busybox root filesystem
 * @param {number} o.reps
 * @param {number} o.warmup
 * @param {number} o.running
 * @param {(line: string) => void} o.log
 * @returns {Promise<V8Result>}
 */
export async function measureV8(o) {
  const { ws, log } = o;
  if (!cgroupExists("berth")) ws.ownCgroupIfEmpty("berth");
  /** @type {V8Result} */
  const result = { reps: o.reps, warmup: o.warmup, running: o.running, loadAtStart: loadAverage(), rss: {}, summaries: {}, ratios: {} };
  /** @type {Record<string, Record<string, number[]>>} */
  const samples = Object.fromEntries(V8_METRICS.map((m) => [m, Object.fromEntries(V8_VARIANTS.map((v) => [v.name, /** @type {number[]} */ ([])]))]));
  /** @type {Array<{ v: typeof V8_VARIANTS[number], sys: BerthSystem }>} */
  const running = [];
  const rssOf = (/** @type {BerthSystem} */ sys) => {
    const pid = sys.memoryPids().daemon[0];
    return pid === undefined ? undefined : rssBytes(pid);
  };
  try {
    for (const v of V8_VARIANTS) {
      const namespace = `bench-${ws.runId}-v8-${v.name}`;
      ws.ownCgroup(`berth/${namespace}`);
      const sys = new BerthSystem({ dir: ws.path(`berth-v8-${v.name}`), namespace, rootfs: o.rootfs, trace: false, env: v.env, nodeArgs: v.nodeArgs });
      ws.onClose(`stop berth ${v.name}`, () => sys.stop());
      await sys.start();
      await delay(500);
      result.rss[v.name] = { idle: rssOf(sys) };
      running.push({ v, sys });
      await sys.prepare(LIVE, "sleep");
      await sys.createRunning(LIVE);
      // A Node daemon's JIT needs a few hundred calls to settle.
      for (let i = 0; i < 200; i++) await sys.ping();
    }
    for (let rep = 0; rep < o.warmup + o.reps; rep++) {
      const order = running.map((_, i) => /** @type {(typeof running)[number]} */ (running[(i + rep) % running.length]));
      for (const { v, sys } of order) {
        const id = `v8-${rep}`;
        await sys.prepare(id, "sleep");
        /** @type {Record<string, number>} */
        const got = {};
        got["create to running"] = await time(() => sys.createRunning(id));
        let code;
        got["exec to exit code (sh -c :)"] = await time(async () => {
          code = await sys.exec(LIVE, `exec-${rep}`);
        });
        if (code !== 0) throw new Error(`${v.name}: exec: expected exit code 0, observed ${code}`);
        const floor = [];
        for (let i = 0; i < FLOOR_CALLS; i++) floor.push(await time(sys.ping));
        got[RPC_FLOOR] = median(floor);
        got["stats"] = await time(() => sys.stats(LIVE));
        got["delete (force, running)"] = await time(() => sys.remove(id));
        if (rep < o.warmup) continue;
        for (const [metric, ms] of Object.entries(got)) samples[metric]?.[v.name]?.push(ms);
      }
      if ((rep + 1) % 10 === 0) log(`  v8: ${rep + 1}/${o.warmup + o.reps} repetitions`);
    }
    for (const { v, sys } of running) {
      const ids = Array.from({ length: o.running }, (_, i) => `v8-many-${i}`);
      for (const id of ids) await sys.prepare(id, "sleep");
      await sys.startMany(ids, 8);
      await delay(1000);
      const rss = result.rss[v.name] ?? {};
      rss.withRunning = rssOf(sys);
      await sys.deleteMany(ids, 8);
      await sys.remove(LIVE);
      await delay(500);
      rss.after = rssOf(sys);
    }
  } catch (err) {
    result.error = /** @type {Error} */ (err).message;
    log(`  v8: ${result.error}`);
  } finally {
    result.loadAtEnd = loadAverage();
    for (const { v, sys } of running) await sys.stop().catch((err) => log(`  v8: stopping ${v.name}: ${err.message}`));
  }
  for (const metric of V8_METRICS) {
    const byVariant = samples[metric] ?? {};
    result.summaries[metric] = Object.fromEntries(V8_VARIANTS.map((v) => [v.name, summarize(byVariant[v.name] ?? [])]));
    result.ratios[metric] = Object.fromEntries(CANDIDATES.map((v) => [v.name, pairedRatio(byVariant[v.name] ?? [], byVariant[BASE] ?? [])]));
  }
  return result;
}

/**
 * v8Markdown is the row's section of the results page.
 * @param {V8Result} r
 * @returns {string[]}
 */
export function v8Markdown(r) {
  const ms = (/** @type {Summary | undefined} */ s) => (s === undefined ? "–" : `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`);
  const mib = (/** @type {number | undefined} */ b) => (b === undefined ? "–" : `${(b / 1024 / 1024).toFixed(1)} MiB`);
  const lines = ["## V8 sized for a daemon", ""];
  lines.push(
    `berth daemons differing only in V8's flags, measured in the same ${r.reps} repetitions (after ${r.warmup} warm-up), the order rotating each repetition. Milliseconds: median (min–max); X/${BASE} is the median of the per-repetition ratios (below 1.00× the flags make it faster). Load average (1/5/15 min) at the start ${r.loadAtStart}, at the end ${r.loadAtEnd ?? "?"}.`,
    "",
  );
  if (r.error !== undefined) lines.push(`Stopped early: ${r.error}`, "");
  const blank = CANDIDATES.map(() => "").join(" | ");
  lines.push(`| row | ${V8_VARIANTS.map((v) => v.name).join(" | ")} | ${CANDIDATES.map((v) => `${v.name}/${BASE}`).join(" | ")} |`);
  lines.push(`|---|${[...V8_VARIANTS, ...CANDIDATES].map(() => "---:").join("|")}|`);
  for (const metric of V8_METRICS) {
    const ratios = CANDIDATES.map((v) => r.ratios[metric]?.[v.name]).map((x) => (x === undefined ? "–" : `${x.toFixed(2)}×`));
    lines.push(`| ${metric} | ${V8_VARIANTS.map((v) => ms(r.summaries[metric]?.[v.name])).join(" | ")} | ${ratios.join(" | ")} |`);
  }
  lines.push(`| daemon RSS idle | ${V8_VARIANTS.map((v) => mib(r.rss[v.name]?.idle)).join(" | ")} | ${blank} |`);
  lines.push(`| daemon RSS with ${r.running} running | ${V8_VARIANTS.map((v) => mib(r.rss[v.name]?.withRunning)).join(" | ")} | ${blank} |`);
  lines.push(`| daemon RSS after the row | ${V8_VARIANTS.map((v) => mib(r.rss[v.name]?.after)).join(" | ")} | ${blank} |`);
  lines.push("");
  for (const v of V8_VARIANTS) lines.push(`- **${v.name}**: ${v.what}.`);
  lines.push("");
  return lines;
}
