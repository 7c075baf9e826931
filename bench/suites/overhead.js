// @ts-check
// The cost of watching the daemon (issue 13: "the RPC floor and stats rows
// do not get slower with metrics and logging on, side by side in one run"):
// berth daemons that differ only in what they report, each with one
// running container, measured in the same repetitions, the order rotating
// every repetition so none always runs on a warmer machine:
//   off       --metrics false --log-level silent
//   on        --metrics true --log-level info (what `berth serve` runs):
//             JSON lines on stderr into a file, /metrics scraped every
//             --overhead-scrape-ms by a scraper in this process
//   on-debug  the same at --log-level debug: a line written per call
// A repetition times, per daemon, the median of FLOOR_CALLS empty unary
// calls (SystemService.Ping) and of STATS_CALLS Stats calls; the row's
// ratios are medians of the per-repetition ratios against "off".
import { request } from "node:http";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

import { cgroupExists } from "../lib/cgroups.js";
import { loadAverage } from "../lib/machine.js";
import { time } from "../lib/harness.js";
import { median, pairedRatio, summarize } from "../lib/stats.js";
import { BerthSystem } from "../systems/berth.js";
import { RPC_FLOOR } from "./latency.js";

/** @typedef {import("../lib/workspace.js").Workspace} Workspace */
/** @typedef {import("../lib/stats.js").Summary} Summary */

const FLOOR_CALLS = 10;
const STATS_CALLS = 3;
const LIVE = "live-stats";
export const OVERHEAD_METRICS = [RPC_FLOOR, "stats"];

const VARIANTS = [
  { name: "off", what: "metrics off, log silent", serveArgs: ["--metrics", "false", "--log-level", "silent"], scraped: false },
  { name: "on", what: "metrics scraped, log info (JSON to a file)", serveArgs: ["--metrics", "true", "--log-level", "info"], scraped: true },
  { name: "on-debug", what: "metrics scraped, log debug (a line per call)", serveArgs: ["--metrics", "true", "--log-level", "debug"], scraped: true },
];

/**
 * @typedef {object} OverheadResult
 * @property {number} reps
 * @property {number} warmup
 * @property {number} scrapeMs
 * @property {string} loadAtStart
 * @property {string} [loadAtEnd]
 * @property {Array<{ name: string, what: string, scrapes: number, logLines: number, logBytes: number }>} variants
 * @property {Record<string, Record<string, Summary | undefined>>} summaries metric -> variant -> milliseconds
 * @property {Record<string, Record<string, number | undefined>>} ratios metric -> variant -> paired ratio to "off"
 * @property {string} [error]
 */

/**
 * measureOverhead starts the daemons, measures, and stops them.
 * @param {object} o
 * @param {Workspace} o.ws
 * @param {string} o.rootfs the shared busybox root filesystem
 * @param {number} o.reps
 * @param {number} o.warmup
 * @param {number} o.scrapeMs
 * @param {(line: string) => void} o.log
 * @returns {Promise<OverheadResult>}
 */
export async function measureOverhead(o) {
  const { ws, log } = o;
  if (!cgroupExists("berth")) ws.ownCgroupIfEmpty("berth");
  /** @type {Array<{ v: typeof VARIANTS[number], sys: BerthSystem, scrapes: number }>} */
  const running = [];
  /** @type {OverheadResult} */
  const result = { reps: o.reps, warmup: o.warmup, scrapeMs: o.scrapeMs, loadAtStart: loadAverage(), variants: [], summaries: {}, ratios: {} };
  /** @type {Record<string, Record<string, number[]>>} */
  const samples = Object.fromEntries(OVERHEAD_METRICS.map((m) => [m, Object.fromEntries(VARIANTS.map((v) => [v.name, /** @type {number[]} */ ([])]))]));
  let stopScraping = false;
  // Ends the scrapers' sleeps at once when the row is done.
  const scraping = new AbortController();
  /** @type {Promise<void>[]} */
  const scrapers = [];
  try {
    for (const v of VARIANTS) {
      const namespace = `bench-${ws.runId}-${v.name}`;
      ws.ownCgroup(`berth/${namespace}`);
      const sys = new BerthSystem({ dir: ws.path(`berth-${v.name}`), namespace, rootfs: o.rootfs, trace: false, serveArgs: v.serveArgs });
      await sys.start();
      running.push({ v, sys, scrapes: 0 });
      await sys.prepare(LIVE, "sleep");
      await sys.createRunning(LIVE);
      // A Node daemon's JIT needs a few hundred calls to settle.
      for (let i = 0; i < 300; i++) await sys.ping();
      for (let i = 0; i < 30; i++) await sys.stats(LIVE);
    }
    for (const r of running) {
      if (!r.v.scraped) continue;
      scrapers.push(
        (async () => {
          while (!stopScraping) {
            try {
              await scrape(r.sys.daemon.socket);
            } catch (err) {
              // A daemon that serves no metrics would make the row a lie.
              result.error ??= `${r.v.name}: ${/** @type {Error} */ (err).message}`;
              stopScraping = true;
              return;
            }
            r.scrapes++;
            await sleep(o.scrapeMs, undefined, { signal: scraping.signal }).catch(() => {});
          }
        })(),
      );
    }
    for (let rep = 0; rep < o.warmup + o.reps && result.error === undefined; rep++) {
      const order = running.map((_, i) => running[(i + rep) % running.length]);
      for (const r of order) {
        if (r === undefined) continue;
        const floor = [];
        for (let i = 0; i < FLOOR_CALLS; i++) floor.push(await time(r.sys.ping));
        const stats = [];
        for (let i = 0; i < STATS_CALLS; i++) stats.push(await time(() => r.sys.stats(LIVE)));
        if (rep < o.warmup) continue;
        samples[RPC_FLOOR]?.[r.v.name]?.push(median(floor));
        samples["stats"]?.[r.v.name]?.push(median(stats));
      }
      if ((rep + 1) % 20 === 0) log(`  overhead: ${rep + 1}/${o.warmup + o.reps} repetitions`);
    }
  } catch (err) {
    result.error = /** @type {Error} */ (err).message;
    log(`  overhead: ${result.error}`);
  } finally {
    result.loadAtEnd = loadAverage();
    stopScraping = true;
    scraping.abort();
    await Promise.allSettled(scrapers);
    for (const r of running) {
      await r.sys.stop().catch((err) => log(`  overhead: stopping ${r.v.name}: ${err.message}`));
      const text = await readFile(r.sys.daemon.logPath, "utf8").catch(() => "");
      const logLines = text.split("\n").filter((l) => l.startsWith("{")).length;
      result.variants.push({ name: r.v.name, what: r.v.what, scrapes: r.scrapes, logLines, logBytes: Buffer.byteLength(text) });
    }
  }
  for (const metric of OVERHEAD_METRICS) {
    const byVariant = samples[metric] ?? {};
    result.summaries[metric] = Object.fromEntries(VARIANTS.map((v) => [v.name, summarize(byVariant[v.name] ?? [])]));
    result.ratios[metric] = Object.fromEntries(VARIANTS.slice(1).map((v) => [v.name, pairedRatio(byVariant[v.name] ?? [], byVariant["off"] ?? [])]));
  }
  return result;
}

/**
 * scrape reads /metrics over the daemon's unix socket (HTTP/1.1), as a
 * Prometheus server would, and throws unless it answers 200.
 * @param {string} socketPath
 * @returns {Promise<void>}
 */
function scrape(socketPath) {
  return new Promise((done, fail) => {
    request({ socketPath, path: "/metrics" }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? done() : fail(new Error(`GET /metrics answered ${res.statusCode}`))));
    })
      .on("error", fail)
      .end();
  });
}

/**
 * overheadMarkdown is the row's section of the results page.
 * @param {OverheadResult} r
 * @returns {string[]}
 */
export function overheadMarkdown(r) {
  const ms = (/** @type {Summary | undefined} */ s) => (s === undefined ? "–" : `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`);
  const ratio = (/** @type {number | undefined} */ x) => (x === undefined ? "–" : `${x.toFixed(3)}×`);
  const lines = ["## Overhead of metrics and logging", ""];
  lines.push(
    `berth daemons differing only in what they report, one running container each, measured in the same ${r.reps} repetitions (after ${r.warmup} warm-up), the order rotating each repetition; a repetition is the median of ${FLOOR_CALLS} empty unary calls (Ping) and of ${STATS_CALLS} Stats calls. Milliseconds: median (min–max) over repetitions; ratios are medians of the per-repetition ratios against "off" (1.00× = no cost). /metrics was scraped every ${r.scrapeMs} ms on the daemons marked scraped. Load average (1/5/15 min) at the start ${r.loadAtStart}, at the end ${r.loadAtEnd ?? "?"}.`,
    "",
  );
  if (r.error !== undefined) lines.push(`Stopped early: ${r.error}`, "");
  lines.push(`| row | ${VARIANTS.map((v) => v.name).join(" | ")} | ${VARIANTS.slice(1).map((v) => `${v.name}/off`).join(" | ")} |`);
  lines.push(`|---|${VARIANTS.map(() => "---:").join("|")}|${VARIANTS.slice(1).map(() => "---:").join("|")}|`);
  for (const metric of OVERHEAD_METRICS) {
    const cells = VARIANTS.map((v) => ms(r.summaries[metric]?.[v.name]));
    const ratios = VARIANTS.slice(1).map((v) => ratio(r.ratios[metric]?.[v.name]));
    lines.push(`| ${metric} | ${cells.join(" | ")} | ${ratios.join(" | ")} |`);
  }
  lines.push("");
  for (const v of r.variants) lines.push(`- **${v.name}**: ${v.what}; ${v.scrapes} scrapes; ${v.logLines} log lines (${v.logBytes} bytes) in its log file.`);
  lines.push("");
  return lines;
}
