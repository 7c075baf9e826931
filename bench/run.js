#!/usr/bin/env node
// @ts-check
// npm run bench: berth side by side with runc called directly, with
// containerd 1.6 and with Podman 4, on this machine, in one run (issues 5
// and 15). This file is the
// command line: options, prerequisites, the private workspace and its
// clean-up on exit and on Ctrl-C. lib/benchmark.js measures; lib/report.js
// writes bench/results/latest.{md,json}. See bench/README.md.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { runBenchmark } from "./lib/benchmark.js";
import { runSoloRow } from "./lib/solo-rows.js";
import { checkPrerequisites } from "./lib/prereqs.js";
import { toMarkdown } from "./lib/report.js";
import { Workspace, sweepStaleWorkspaces } from "./lib/workspace.js";

/** @typedef {import("./lib/report.js").Results} Results */

const HELP = `usage: npm run bench [-- options]

Measures berth over its gRPC API, runc's CLI, containerd's gRPC API and
Podman's libpod REST API on this machine, interleaved, and writes
bench/results/latest.{md,json}. Needs root, runc, conmon and busybox-static;
containerd and podman are measured when installed
(apt-get install runc conmon containerd podman busybox-static).

options:
  --reps N            timed repetitions per operation (default 20)
  --warmup N          warm-up repetitions per operation (default 3)
  --batch-reps N      timed repetitions of 50 starts + 50 deletes (default 20)
  --systems LIST      comma-separated subset of runc,berth,containerd,podman
  --subscribers N     event subscribers (default 100)
  --events-seconds S  how long the events producer runs (default 3)
  --pull-reps N       timed pulls per system in the pull row (default 10; 0 skips it)
  --pull-only         only the pull row (with --systems berth,containerd: a smoke run of it)
  --bridge-reps N     timed repetitions of the bridge row (default 10; 0 skips it)
  --bridge-only       only the bridge row (berth, containerd, podman); writes bridge.{md,json}
  --seccomp-only      only berth's create row with the default seccomp profile and unconfined
  --overhead-reps N   repetitions of the metrics-and-logging overhead row (default 40; 0 skips it)
  --overhead-scrape-ms MS  how often that row scrapes /metrics (default 1000)
  --overhead-only     only that row (berth with metrics and logging off, on, on at debug);
                      writes overhead.{md,json}
  --v8-only           only the V8 row: berth as shipped beside BERTH_V8_DEFAULTS=1, interleaved; writes v8.{md,json}
  --v8-reps N         its repetitions (default 20)
  --v8-running N      containers running for its memory figure (default 50)
  --leak-creates N    containers created and deleted by the leak check (default 1000; 0 skips the check)
  --leak-execs N      execs of the leak check (default 10000)
  --leak-only         only the leak check; writes leak.{md,json}
  --image-reps N      timed creates per contender in the create-from-image row (default: --reps; 0 skips it)
  --image-only        only the create-from-image row (berth from an image and from a folder, containerd)
  --out DIR           where to write latest.md and latest.json (default bench/results)
  --logs DIR          keep the daemons' logs (containerd.log, berth-daemon.log, podman.log) there
  --no-trace          berth without its phase trace (no breakdown table)
  --quick             a fast smoke run: 3 reps, 1 warm-up, 2 batch reps, 1 s of events
  -h, --help`;

// Output cut short (`npm run bench | head`) must not stop the clean-up.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

const started = performance.now();
/** @param {string} line */
const log = (line) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

async function main() {
  const { values: args } = parseArgs({
    options: {
      reps: { type: "string" },
      warmup: { type: "string" },
      "batch-reps": { type: "string" },
      systems: { type: "string" },
      subscribers: { type: "string" },
      "events-seconds": { type: "string" },
      "pull-reps": { type: "string" },
      "pull-only": { type: "boolean" },
      "bridge-reps": { type: "string" },
      "bridge-only": { type: "boolean" },
      "seccomp-only": { type: "boolean" },
      "overhead-reps": { type: "string" },
      "overhead-scrape-ms": { type: "string" },
      "overhead-only": { type: "boolean" },
      "v8-only": { type: "boolean" },
      "v8-reps": { type: "string" },
      "v8-running": { type: "string" },
      "leak-creates": { type: "string" },
      "leak-execs": { type: "string" },
      "leak-only": { type: "boolean" },
      "image-reps": { type: "string" },
      "image-only": { type: "boolean" },
      out: { type: "string" },
      logs: { type: "string" },
      quick: { type: "boolean" },
      "no-trace": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (args.help === true) {
    console.log(HELP);
    return 0;
  }
  const quick = args.quick === true;
  const options = {
    reps: int(args.reps, quick ? 3 : 20, "reps"),
    warmup: int(args.warmup, quick ? 1 : 3, "warmup"),
    batchReps: int(args["batch-reps"], quick ? 2 : 20, "batch-reps"),
    batchWarmup: 1,
    batchCount: 50,
    inFlight: 8,
    subscribers: int(args.subscribers, 100, "subscribers"),
    eventsSeconds: int(args["events-seconds"], quick ? 1 : 3, "events-seconds"),
    pullReps: int(args["pull-reps"], quick ? 3 : 10, "pull-reps"),
    pullOnly: args["pull-only"] === true ? 1 : 0,
    bridgeReps: int(args["bridge-reps"], quick ? 3 : 10, "bridge-reps"),
    bridgeOnly: args["bridge-only"] === true ? 1 : 0,
    trace: args["no-trace"] === true ? 0 : 1,
    seccompOnly: args["seccomp-only"] === true ? 1 : 0,
    overheadReps: int(args["overhead-reps"], quick ? 10 : 40, "overhead-reps"),
    overheadScrapeMs: int(args["overhead-scrape-ms"], 1000, "overhead-scrape-ms"),
    overheadOnly: args["overhead-only"] === true ? 1 : 0,
    imageReps: int(args["image-reps"], int(args.reps, quick ? 3 : 20, "reps"), "image-reps"),
    imageOnly: args["image-only"] === true ? 1 : 0,
    v8Reps: int(args["v8-reps"], quick ? 3 : 20, "v8-reps"),
    v8Running: int(args["v8-running"], quick ? 10 : 50, "v8-running"),
    leakCreates: int(args["leak-creates"], quick ? 50 : 1000, "leak-creates"),
    leakExecs: int(args["leak-execs"], quick ? 200 : 10000, "leak-execs"),
  };
  const solo = args["overhead-only"] === true ? "overhead" : args["v8-only"] === true ? "v8" : args["leak-only"] === true ? "leak" : undefined;
  if (solo === "leak" && options.leakCreates + options.leakExecs === 0) throw new Error("--leak-only needs --leak-creates or --leak-execs above 0");
  if (options.overheadOnly === 1 && options.overheadReps === 0) throw new Error("--overhead-only needs --overhead-reps above 0");
  if (options.bridgeOnly === 1 && options.bridgeReps === 0) throw new Error("--bridge-only needs --bridge-reps above 0");
  // The one-row run writes its own files, beside the full run's latest.*.
  if (options.imageOnly === 1 && options.imageReps === 0) throw new Error("--image-only needs --image-reps above 0");
  const base = options.bridgeOnly === 1 ? "bridge" : options.imageOnly === 1 ? "image" : "latest";
  const wanted = new Set((args.systems ?? (options.bridgeOnly === 1 ? "berth,containerd,podman" : options.imageOnly === 1 ? "berth,containerd" : "runc,berth,containerd,podman")).split(",").map((s) => s.trim()));
  const outDir = args.out ?? new URL("./results", import.meta.url).pathname;

  const prereqs = await checkPrerequisites();
  if (prereqs.fatal.length > 0) {
    console.error(`bench: cannot run:\n${prereqs.fatal.map((p) => `  - ${p}`).join("\n")}`);
    return 2;
  }
  for (const swept of await sweepStaleWorkspaces()) log(`removed the leftovers of an interrupted run: ${swept}`);

  const ws = await Workspace.create();
  log(`private root ${ws.root}`);
  /** @type {Promise<string[]> | undefined} */
  let closing;
  const closeAndReport = () =>
    (closing ??= ws.close().then((left) => {
      if (left.length > 0) console.error(`bench: left behind:\n${left.map((l) => `  - ${l}`).join("\n")}`);
      return left;
    }));
  let interrupted = false;
  const onSignal = (/** @type {NodeJS.Signals} */ signal) => {
    if (interrupted) return log(`${signal} again: still cleaning up, please wait`);
    interrupted = true;
    log(`${signal}: stopping and cleaning up`);
    void closeAndReport().then((left) => {
      if (left.length === 0) log("clean-up complete");
      process.exit(130);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  if (args.logs !== undefined) keepLogs(ws, args.logs);
  if (solo !== undefined) {
    try {
      return await runSoloRow(solo, ws, options, outDir, started, log);
    } finally {
      if (!interrupted) await closeAndReport();
    }
  }
  try {
    const results = await runBenchmark({ ws, prereqs, options, wanted, log, started });
    if (results === undefined) {
      console.error("bench: no system could be started");
      return 1;
    }
    log("stopping the systems and cleaning up");
    const leftBehind = [...(await closeAndReport()), ...(results.bridge?.leftBehind ?? [])];
    /** @type {Results} */
    const full = { ...results, durationSeconds: (performance.now() - started) / 1000, leftBehind };
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, `${base}.json`), `${JSON.stringify(full, null, 2)}\n`);
    const markdown = toMarkdown(full);
    await writeFile(join(outDir, `${base}.md`), markdown);
    console.log(`\n${markdown.slice(markdown.indexOf("## Latency"), markdown.indexOf("## What is timed")).trim()}\n`);
    log(`results written to ${join(outDir, `${base}.md`)} and ${base}.json`);
    return leftBehind.length === 0 ? 0 : 1;
  } finally {
    if (!interrupted) await closeAndReport();
  }
}

/**
 * keepLogs copies the daemons' logs to dir when the workspace closes; it is
 * registered first, so it runs last, after the daemons have stopped.
 * @param {Workspace} ws
 * @param {string} dir
 */
function keepLogs(ws, dir) {
  ws.onClose("keep the daemons' logs", async () => {
    await mkdir(dir, { recursive: true });
    await copyFile(ws.path("containerd", "containerd.log"), join(dir, "containerd.log")).catch(() => {});
    await copyFile(ws.path("berth", "daemon.log"), join(dir, "berth-daemon.log")).catch(() => {});
    await copyFile(ws.path("podman", "podman.log"), join(dir, "podman.log")).catch(() => {});
  });
}

/**
 * @param {string | undefined} value
 * @param {number} fallback
 * @param {string} name
 */
function int(value, fallback, name) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
