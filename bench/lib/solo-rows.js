// @ts-check
// The rows that run on berth daemons of their own, alone (`--overhead-only`,
// `--v8-only`, `--leak-only`): each writes its own <base>.{md,json} beside
// the full run's latest.*, so a row can be rerun without the rest.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { measureLeak, leakMarkdown } from "../suites/leak.js";
import { measureOverhead, overheadMarkdown } from "../suites/overhead.js";
import { measureV8, v8Markdown } from "../suites/v8.js";
import { loadBerthCode } from "./rootfs.js";

/** @typedef {import("./workspace.js").Workspace} Workspace */

/**
 * @typedef {object} SoloOptions
 * @property {number} reps
 * @property {number} warmup
 * @property {number} overheadReps
 * @property {number} overheadScrapeMs
 * @property {number} v8Reps
 * @property {number} v8Running
 * @property {number} leakCreates
 * @property {number} leakExecs
 */

/**
 * SOLO_ROWS names each row's file, title and how to run it.
 * @type {Record<string, { base: string, title: string, run: (ws: Workspace, rootfs: string, o: SoloOptions, log: (line: string) => void) => Promise<{ result: { error?: string }, markdown: string[] }> }>}
 */
export const SOLO_ROWS = {
  overhead: {
    base: "overhead",
    title: "the cost of metrics and logging",
    run: async (ws, rootfs, o, log) => {
      log(`overhead: ${o.warmup} warm-up + ${o.overheadReps} repetitions, /metrics scraped every ${o.overheadScrapeMs} ms`);
      const result = await measureOverhead({ ws, rootfs, reps: o.overheadReps, warmup: o.warmup, scrapeMs: o.overheadScrapeMs, log });
      return { result, markdown: overheadMarkdown(result) };
    },
  },
  v8: {
    base: "v8",
    title: "V8 sized for a daemon",
    run: async (ws, rootfs, o, log) => {
      log(`v8: ${o.warmup} warm-up + ${o.v8Reps} repetitions, then ${o.v8Running} running`);
      const result = await measureV8({ ws, rootfs, reps: o.v8Reps, warmup: o.warmup, running: o.v8Running, log });
      return { result, markdown: v8Markdown(result) };
    },
  },
  leak: {
    base: "leak",
    title: "the leak check",
    run: async (ws, rootfs, o, log) => {
      log(`leak: ${o.leakCreates} containers created and deleted, then ${o.leakExecs} execs`);
      const result = await measureLeak({ ws, rootfs, creates: o.leakCreates, execs: o.leakExecs, log });
      return { result, markdown: leakMarkdown(result) };
    },
  },
};

/**
 * runSoloRow runs one row and writes <base>.{md,json} into outDir.
 * @param {keyof typeof SOLO_ROWS} name
 * @param {Workspace} ws
 * @param {SoloOptions} options
 * @param {string} outDir
 * @param {number} started performance.now() when the run began
 * @param {(line: string) => void} log
 * @returns {Promise<number>} the exit code
 */
export async function runSoloRow(name, ws, options, outDir, started, log) {
  const row = /** @type {(typeof SOLO_ROWS)[string]} */ (SOLO_ROWS[name]);
  const code = await loadBerthCode();
  const rootfs = await code.ensureBusyboxRootfs(ws.root);
  const { result, markdown: section } = await row.run(ws, rootfs, options, log);
  const left = await ws.close();
  const full = { generatedAt: new Date().toISOString(), durationSeconds: (performance.now() - started) / 1000, options: { ...options }, [name]: result, leftBehind: left };
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, `${row.base}.json`), `${JSON.stringify(full, null, 2)}\n`);
  const markdown = [`# berth: ${row.title}`, "", `Generated ${full.generatedAt} by \`node bench/run.js --${name}-only\` in ${full.durationSeconds.toFixed(0)} s.`, "", ...section].join("\n");
  await writeFile(join(outDir, `${row.base}.md`), markdown);
  console.log(`\n${markdown}`);
  log(`results written to ${join(outDir, `${row.base}.md`)} and ${row.base}.json`);
  return result.error === undefined && left.length === 0 ? 0 : 1;
}
