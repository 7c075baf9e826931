// @ts-check
// The phase breakdown: berth's daemon writes one JSON line per operation
// with the time of each of its steps (`berth serve --trace FILE`, see
// src/trace); this reads the lines of the timed repetitions back, by row,
// and renders the median of each step, so the results page shows which
// step costs what.
import { readFile } from "node:fs/promises";

import { BRIDGE_METRIC } from "../suites/bridge.js";
import { median } from "./stats.js";

/**
 * @typedef {object} TraceLine
 * @property {string} op
 * @property {string} id
 * @property {string} [processId]
 * @property {number} ms
 * @property {Record<string, number>} steps
 * @property {string} [error]
 */

/**
 * @typedef {object} PhaseColumn
 * @property {string} label
 * @property {string | undefined} metric the bench row whose calls these are
 * @property {number} n operations traced
 * @property {number | undefined} totalMs median of the daemon's own time
 * @property {number | undefined} unaccountedMs median of the time no step claimed
 * @property {Record<string, number>} steps median per step (0 where a span lacks it)
 */

/**
 * @typedef {object} PhaseBreakdown
 * @property {string[]} steps every step, in the order first seen
 * @property {PhaseColumn[]} columns
 * @property {string} [error]
 */

/**
 * The columns: which operations of which bench row, timed repetitions
 * only (ids carry the repetition number, see suites/latency.js and
 * suites/batch.js).
 * @param {{ warmup: number, batchWarmup: number }} o
 */
function columnsOf(o) {
  const rep = (/** @type {string} */ s, /** @type {RegExp} */ re, /** @type {number} */ warm) => {
    const m = re.exec(s);
    return m !== null && Number(m[1]) >= warm;
  };
  return [
    { label: "create", metric: "create to running", match: (/** @type {TraceLine} */ l) => l.op === "create" && rep(l.id, /^create-(\d+)$/, o.warmup) },
    { label: "create on a bridge", metric: BRIDGE_METRIC, match: (/** @type {TraceLine} */ l) => l.op === "create" && rep(l.id, /^bridge-berth-(\d+)$/, o.warmup) },
    { label: "create, 8 in flight", metric: undefined, match: (/** @type {TraceLine} */ l) => l.op === "create" && rep(l.id, /^many-(\d+)-\d+$/, o.batchWarmup) },
    { label: "exec", metric: "exec to exit code (sh -c :)", match: (/** @type {TraceLine} */ l) => l.op === "exec" && rep(l.processId ?? "", /^exec-(\d+)$/, o.warmup) },
    { label: "exit (run to exit)", metric: undefined, match: (/** @type {TraceLine} */ l) => l.op === "exit" && rep(l.id, /^run-(\d+)$/, o.warmup) },
    { label: "delete (force, running)", metric: undefined, match: (/** @type {TraceLine} */ l) => l.op === "delete" && rep(l.id, /^create-(\d+)$/, o.warmup) },
    { label: "delete, 8 in flight", metric: undefined, match: (/** @type {TraceLine} */ l) => l.op === "delete" && rep(l.id, /^many-(\d+)-\d+$/, o.batchWarmup) },
  ];
}

/**
 * readPhaseBreakdown reads a trace file and summarizes it.
 * @param {string} path
 * @param {{ warmup: number, batchWarmup: number }} o
 * @returns {Promise<PhaseBreakdown>}
 */
export async function readPhaseBreakdown(path, o) {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    return { steps: [], columns: [], error: `no trace: ${/** @type {Error} */ (err).message}` };
  }
  /** @type {TraceLine[]} */
  const lines = text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l))
    .filter((/** @type {TraceLine} */ l) => l.error === undefined);
  return phaseBreakdown(lines, o);
}

/**
 * @param {readonly TraceLine[]} lines
 * @param {{ warmup: number, batchWarmup: number }} o
 * @returns {PhaseBreakdown}
 */
export function phaseBreakdown(lines, o) {
  /** @type {string[]} */
  const steps = [];
  const columns = columnsOf(o).map(({ label, metric, match }) => {
    const spans = lines.filter(match);
    for (const s of spans) for (const name of Object.keys(s.steps)) if (!steps.includes(name)) steps.push(name);
    return { label, metric, spans };
  });
  return {
    steps,
    columns: columns.map(({ label, metric, spans }) => ({
      label,
      metric,
      n: spans.length,
      totalMs: spans.length === 0 ? undefined : median(spans.map((s) => s.ms)),
      unaccountedMs: spans.length === 0 ? undefined : median(spans.map((s) => s.ms - Object.values(s.steps).reduce((a, b) => a + b, 0))),
      steps: Object.fromEntries(steps.filter((name) => spans.some((s) => name in s.steps)).map((name) => [name, median(spans.map((s) => s.steps[name] ?? 0))])),
    })),
  };
}

/**
 * phaseMarkdown renders the breakdown; rowMedians gives the bench row's
 * median (client side) by metric, for the columns that are one row's calls.
 * @param {PhaseBreakdown} b
 * @param {Record<string, number | undefined>} rowMedians
 * @returns {string[]}
 */
export function phaseMarkdown(b, rowMedians) {
  const lines = ["## Where berth's time goes", ""];
  if (b.error !== undefined) return [...lines, `Not measured: ${b.error}.`];
  const cols = b.columns.filter((c) => c.n > 0);
  if (cols.length === 0) return [...lines, "No traced operation of a timed repetition."];
  lines.push(
    "The daemon's phase trace (`berth serve --trace FILE`), read back after the run: the median milliseconds of each step of the timed repetitions' operations, step by step in the order they run. A step's time is the wall time since the step before it ended, so concurrent operations (8 in flight) include waiting for the event loop and the CPU. \"–\" means the operation has no such step.",
  );
  lines.push("");
  lines.push(`| step | ${cols.map((c) => `${c.label} (n=${c.n})`).join(" | ")} |`);
  lines.push(`|---|${cols.map(() => "---:").join("|")}|`);
  for (const step of b.steps) {
    if (!cols.some((c) => step in c.steps)) continue;
    lines.push(`| ${step} | ${cols.map((c) => (step in c.steps ? fmtMs(c.steps[step]) : "–")).join(" | ")} |`);
  }
  lines.push(`| (no step: between marks) | ${cols.map((c) => fmtMs(c.unaccountedMs)).join(" | ")} |`);
  lines.push(`| **the daemon's time** | ${cols.map((c) => `**${fmtMs(c.totalMs)}**`).join(" | ")} |`);
  lines.push(`| the bench's row, client side | ${cols.map((c) => (c.metric === undefined ? "–" : `${fmtMs(rowMedians[c.metric])} (${c.metric})`)).join(" | ")} |`);
  lines.push("");
  lines.push("Medians do not add up: each row's median is taken on its own. The client side adds the gRPC call, and for exec the EXIT_PROCESS event's way back (conmon's exit, the sync pipe, the event stream).");
  return lines;
}

/** @param {number | undefined} v */
function fmtMs(v) {
  if (v === undefined) return "–";
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}
