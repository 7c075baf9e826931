// @ts-check
// Memory: each daemon's RSS when idle, and the cost of one more running
// container, read during the last repetition of the 50-container batch
// (suites/batch.js), between its start and its delete: the daemon's RSS growth over 50 containers divided by 50, plus
// the PSS of each container's monitor (conmon for berth,
// containerd-shim-runc-v2 for containerd; PSS splits shared pages between
// the processes that map them, so 50 monitors are not counted 50 times for
// one binary). The containers' own processes are the same for every system
// and are not counted.
import { setTimeout as delay } from "node:timers/promises";

import { pssBytes, rssBytes } from "../lib/proc.js";
import { median } from "../lib/stats.js";

/** @typedef {import("../systems/system.js").System} System */

/**
 * @typedef {object} MemoryResult
 * @property {number | undefined} daemonRssIdleBytes just after start-up
 * @property {number | undefined} daemonRssBeforeBytes before the 50 started
 * @property {number | undefined} daemonRssWith50Bytes with 50 running
 * @property {number} monitors how many monitor processes were found
 * @property {number | undefined} monitorPssMeanBytes
 * @property {number | undefined} monitorPssMedianBytes
 * @property {number | undefined} perContainerBytes daemon growth / 50 + mean monitor PSS
 * @property {string} [error]
 */

/**
 * daemonRss sums the RSS of the system's daemon processes.
 * @param {System} sys
 * @returns {number | undefined}
 */
export function daemonRss(sys) {
  const pids = sys.memoryPids().daemon;
  if (pids.length === 0) return undefined;
  return pids.reduce((sum, pid) => sum + (rssBytes(pid) ?? 0), 0);
}

/**
 * @typedef {object} MemoryBaseline
 * @property {number | undefined} rss the daemon's RSS before the containers start
 * @property {Set<number>} monitors monitor pids that already ran then
 */

/**
 * memoryBaseline is read just before count containers start; only the
 * monitors that appear after it count (not one of a container some failed
 * operation left behind).
 * @param {System} sys
 * @returns {Promise<MemoryBaseline>}
 */
export async function memoryBaseline(sys) {
  // Let the garbage collector and allocator settle first.
  await delay(500);
  return { rss: daemonRss(sys), monitors: new Set(sys.memoryPids().monitors) };
}

/**
 * memoryWithRunning reads the figures while count containers run.
 * @param {System} sys
 * @param {MemoryBaseline} baseline
 * @param {number} count
 * @param {number | undefined} idleRss
 * @returns {Promise<MemoryResult>}
 */
export async function memoryWithRunning(sys, baseline, count, idleRss) {
  await delay(1000);
  const withAll = daemonRss(sys);
  const pss = sys
    .memoryPids()
    .monitors.filter((pid) => !baseline.monitors.has(pid))
    .map(pssBytes)
    .filter((v) => v !== undefined);
  const mean = pss.length === 0 ? undefined : pss.reduce((a, b) => a + b, 0) / pss.length;
  const growth = baseline.rss !== undefined && withAll !== undefined ? Math.max(0, withAll - baseline.rss) / count : undefined;
  return {
    daemonRssIdleBytes: idleRss,
    daemonRssBeforeBytes: baseline.rss,
    daemonRssWith50Bytes: withAll,
    monitors: pss.length,
    monitorPssMeanBytes: mean,
    monitorPssMedianBytes: pss.length === 0 ? undefined : median(pss),
    perContainerBytes: growth === undefined && mean === undefined ? (sys.name === "runc" ? 0 : undefined) : (growth ?? 0) + (mean ?? 0),
  };
}
