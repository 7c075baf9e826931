// @ts-check
// The leak check (issue 15: "1,000 created-and-deleted containers and
// 10,000 execs leave RSS where it started"): one berth daemon as shipped,
// warmed up first (its JIT, its heap's working size: a tenth of each
// phase), then its RSS read;
// `creates` containers created to running and deleted, IN_FLIGHT at a time;
// its RSS read; `execs` execs (`sh -c :`) spread over LIVE_CONTAINERS
// running containers, IN_FLIGHT at a time; its RSS read. RSS is also
// sampled every tenth of each phase, so a slow climb shows as a trend and
// not only as an end point. The daemon keeps up to 256 ended execs per
// container by design (their exit codes stay listed); that is part of what
// is measured.
import { setTimeout as delay } from "node:timers/promises";

import { cgroupExists } from "../lib/cgroups.js";
import { loadAverage } from "../lib/machine.js";
import { rssBytes } from "../lib/proc.js";
import { mapPool } from "../lib/wait.js";
import { BerthSystem } from "../systems/berth.js";

/** @typedef {import("../lib/workspace.js").Workspace} Workspace */

const IN_FLIGHT = 8;
const LIVE_CONTAINERS = 4;
// The warm-up is a tenth of each phase (at least these): the start is read
// once the heap has grown to its working size, so what follows is growth
// the work itself leaves behind (40 execs after a warm-up of 64 grew RSS by
// 8 MiB: V8 sizing its heap, not 200 KiB per exec).
const WARM_CREATES = 16;
const WARM_EXECS = 64;
/** @param {number} count @param {number} least */
const warmCount = (count, least) => Math.max(least, Math.ceil(count / 10));
const SETTLE_MS = 2000;
// RSS moves by a few MiB with nothing held (the allocator, the heap's
// growth and shrinking); growth within this is "where it started".
export const LEAK_TOLERANCE_BYTES = 8 * 1024 * 1024;

/**
 * @typedef {object} LeakPhase
 * @property {string} name
 * @property {number} count
 * @property {number} seconds wall time of the phase
 * @property {number | undefined} rssAfter the daemon's RSS once the phase ended and settled
 * @property {Array<number | undefined>} trend RSS after each tenth of the phase
 */

/**
 * @typedef {object} LeakResult
 * @property {number} creates
 * @property {number} execs
 * @property {string} loadAtStart
 * @property {string} [loadAtEnd]
 * @property {number | undefined} rssIdle just after start
 * @property {number | undefined} rssStart after the warm-up
 * @property {LeakPhase[]} phases
 * @property {string} [error]
 */

/**
 * measureLeak runs the check on a daemon of its own and stops it.
 * @param {object} o
 * @param {Workspace} o.ws
 * @param {string} o.rootfs the shared busybox root filesystem
 * @param {number} o.creates
 * @param {number} o.execs
 * @param {(line: string) => void} o.log
 * @returns {Promise<LeakResult>}
 */
export async function measureLeak(o) {
  const { ws, log } = o;
  if (!cgroupExists("berth")) ws.ownCgroupIfEmpty("berth");
  const namespace = `bench-${ws.runId}-leak`;
  ws.ownCgroup(`berth/${namespace}`);
  const sys = new BerthSystem({ dir: ws.path("berth-leak"), namespace, rootfs: o.rootfs, trace: false });
  ws.onClose("stop berth (leak)", () => sys.stop());
  /** @type {LeakResult} */
  const result = { creates: o.creates, execs: o.execs, loadAtStart: loadAverage(), rssIdle: undefined, rssStart: undefined, phases: [] };
  const rss = () => {
    const pid = sys.memoryPids().daemon[0];
    return pid === undefined ? undefined : rssBytes(pid);
  };
  const live = Array.from({ length: LIVE_CONTAINERS }, (_, i) => `leak-live-${i}`);
  /** @param {number} n @param {string} prefix */
  const createDelete = (n, prefix) =>
    mapPool(
      Array.from({ length: n }, (_, i) => `${prefix}-${i}`),
      IN_FLIGHT,
      async (id) => {
        await sys.prepare(id, "sleep");
        await sys.createRunning(id);
        await sys.remove(id);
      },
    );
  /** @param {number} n @param {string} prefix */
  const execs = (n, prefix) =>
    mapPool(
      Array.from({ length: n }, (_, i) => i),
      IN_FLIGHT,
      async (i) => {
        const code = await sys.exec(/** @type {string} */ (live[i % live.length]), `${prefix}-${i}`);
        if (code !== 0) throw new Error(`exec ${prefix}-${i}: exit code ${code}, expected 0`);
      },
    );
  /**
   * phase runs count operations in tenths, sampling RSS after each.
   * @param {string} name
   * @param {number} count
   * @param {(n: number, prefix: string) => Promise<unknown>} run
   */
  const phase = async (name, count, run) => {
    const t0 = performance.now();
    /** @type {Array<number | undefined>} */
    const trend = [];
    for (let tenth = 0; tenth < 10; tenth++) {
      const n = Math.floor((count * (tenth + 1)) / 10) - Math.floor((count * tenth) / 10);
      if (n > 0) await run(n, `${name}-${tenth}`);
      trend.push(rss());
    }
    const seconds = (performance.now() - t0) / 1000;
    await delay(SETTLE_MS);
    result.phases.push({ name, count, seconds, rssAfter: rss(), trend });
    log(`  leak: ${count} ${name} in ${seconds.toFixed(0)} s, RSS ${mib(result.rssStart)} -> ${mib(rss())}`);
  };
  try {
    await sys.start();
    await delay(500);
    result.rssIdle = rss();
    for (const id of live) {
      await sys.prepare(id, "sleep");
      await sys.createRunning(id);
    }
    await createDelete(warmCount(o.creates, WARM_CREATES), "leak-warm");
    await execs(warmCount(o.execs, WARM_EXECS), "warm");
    await delay(SETTLE_MS);
    result.rssStart = rss();
    await phase("creates", o.creates, createDelete);
    await phase("execs", o.execs, execs);
    for (const id of live) await sys.remove(id);
  } catch (err) {
    result.error = /** @type {Error} */ (err).message;
    log(`  leak: ${result.error}`);
  } finally {
    result.loadAtEnd = loadAverage();
    await sys.stop().catch((err) => log(`  leak: stopping the daemon: ${err.message}`));
  }
  return result;
}

/** @param {number | undefined} b */
function mib(b) {
  return b === undefined ? "–" : `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * leakGrowth is how far the daemon's RSS ended above where it started (after
 * the warm-up), or undefined when the check did not finish.
 * @param {LeakResult} r
 * @returns {number | undefined}
 */
export function leakGrowth(r) {
  const last = r.phases.at(-1)?.rssAfter;
  return r.error !== undefined || r.phases.length < 2 || last === undefined || r.rssStart === undefined ? undefined : last - r.rssStart;
}

/**
 * leakMarkdown is the check's section of the results page.
 * @param {LeakResult} r
 * @returns {string[]}
 */
export function leakMarkdown(r) {
  const lines = ["## Leak check", ""];
  lines.push(
    `One berth daemon as shipped, warmed up (${warmCount(r.creates, WARM_CREATES)} containers created and deleted, ${warmCount(r.execs, WARM_EXECS)} execs), then ${r.creates} containers created to running and deleted and ${r.execs} execs (\`sh -c :\`, over ${LIVE_CONTAINERS} running containers), ${IN_FLIGHT} in flight; RSS read ${SETTLE_MS / 1000} s after each phase, and after each tenth of it (the trend). Load average (1/5/15 min) at the start ${r.loadAtStart}, at the end ${r.loadAtEnd ?? "?"}.`,
    "",
  );
  if (r.error !== undefined) lines.push(`Stopped early: ${r.error}`, "");
  lines.push("| | count | wall time | daemon RSS after | growth from the start | RSS after each tenth (MiB) |", "|---|---:|---:|---:|---:|---|");
  lines.push(`| just started | | | ${mib(r.rssIdle)} | | |`);
  lines.push(`| after the warm-up (the start) | | | ${mib(r.rssStart)} | | |`);
  for (const p of r.phases) {
    const growth = p.rssAfter === undefined || r.rssStart === undefined ? "–" : `${((p.rssAfter - r.rssStart) / 1024 / 1024).toFixed(1)} MiB`;
    lines.push(`| ${p.name} | ${p.count} | ${p.seconds.toFixed(0)} s | ${mib(p.rssAfter)} | ${growth} | ${p.trend.map((b) => (b === undefined ? "–" : (b / 1024 / 1024).toFixed(0))).join(" ")} |`);
  }
  lines.push("");
  return lines;
}
