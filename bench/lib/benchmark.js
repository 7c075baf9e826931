// @ts-check
// runBenchmark is the whole measurement, phase by phase: the systems, the
// single-container operations, 50 at once (with memory read while they
// run), events. It returns the
// results without the clean-up verdict, which the caller adds after closing
// the workspace.
import { batchOperation } from "../suites/batch.js";
import { bridgeOperation } from "../suites/bridge.js";
import { measureEvents } from "../suites/events.js";
import { measureImage } from "../suites/image.js";
import { measureLeak } from "../suites/leak.js";
import { latencyOperations } from "../suites/latency.js";
import { seccompOperation } from "../suites/seccomp.js";
import { measurePull } from "../suites/pull.js";
import { runOperation } from "./harness.js";
import { describeMachine, loadAverage } from "./machine.js";
import { fmtMs, fmtRatio, metricRows } from "./report.js";
import { loadBerthCode } from "./rootfs.js";
import { startSystems } from "./start-systems.js";
import { readPhaseBreakdown } from "./trace-report.js";
import { BRIDGE_TARGET, evaluateTargets, IMAGE_TARGET } from "./targets.js";

/** @typedef {import("./report.js").Results} Results */
/** @typedef {import("./workspace.js").Workspace} Workspace */
/** @typedef {import("./prereqs.js").Prerequisites} Prerequisites */

/**
 * @typedef {object} BenchOptions
 * @property {number} reps
 * @property {number} warmup
 * @property {number} batchReps
 * @property {number} batchWarmup
 * @property {number} batchCount
 * @property {number} inFlight
 * @property {number} subscribers
 * @property {number} eventsSeconds
 * @property {number} pullReps timed pulls per contender (0: no pull row)
 * @property {number} pullOnly 1: only the pull row (a smoke run of it)
 * @property {number} bridgeReps timed repetitions of the bridge row (0: no bridge row)
 * @property {number} bridgeOnly 1: only the bridge row
 * @property {number} trace 1: berth writes its phase trace in the timed pass (0: off)
 * @property {number} [seccompOnly] 1: only the seccomp row
 * @property {number} imageReps timed creates per contender in the
 *   create-from-image row (0: no such row)
 * @property {number} imageOnly 1: only the create-from-image row
 * @property {number} leakCreates containers the leak check creates and deletes
 * @property {number} leakExecs execs of the leak check (both 0: no check)
 */

/**
 * @param {object} o
 * @param {Workspace} o.ws
 * @param {Prerequisites} o.prereqs
 * @param {BenchOptions} o.options
 * @param {ReadonlySet<string>} o.wanted
 * @param {(line: string) => void} o.log
 * @param {number} o.started performance.now() when the run began
 * @returns {Promise<Omit<Results, "leftBehind"> | undefined>} undefined when no system could start
 */
export async function runBenchmark(o) {
  const { ws, options, log } = o;
  const machine = await describeMachine(o.prereqs.versions);
  const code = await loadBerthCode();
  const rootfs = await code.ensureBusyboxRootfs(ws.root);
  const { systems, statuses, idleRss, image: imageArchive } = await startSystems({ ws, prereqs: o.prereqs, code, rootfs, wanted: o.wanted, trace: options.trace === 1, log });
  if (systems.length === 0) return undefined;
  log(`measuring ${systems.map((s) => s.name).join(", ")}`);

  /** @type {Results["memory"]} */
  const memory = {};
  const bridge = options.bridgeReps > 0 && options.pullOnly !== 1 && options.seccompOnly !== 1 && options.imageOnly !== 1 ? bridgeOperation({ reps: options.bridgeReps, warmup: options.warmup, ws, log }) : undefined;
  const only = options.pullOnly === 1 || options.bridgeOnly === 1 || options.imageOnly === 1;
  const ops = [
    ...(only
      ? []
      : options.seccompOnly === 1
        ? [seccompOperation(options)]
        : [
          ...latencyOperations(options),
          seccompOperation(options),
          batchOperation({ reps: options.batchReps, warmup: options.batchWarmup, count: options.batchCount, inFlight: options.inFlight, idleRss, memory }),
        ]),
    ...(bridge !== undefined ? [bridge.op] : []),
  ];
  const opResults = [];
  for (const op of ops) {
    log(`${op.key}: ${op.warmup} warm-up + ${op.reps} timed repetitions`);
    const result = await runOperation(op, systems, log);
    opResults.push(result);
    for (const row of metricRows([result])) {
      const medians = Object.entries(row.systems)
        .filter(([name, s]) => s.summary !== undefined || row.errors[name] !== undefined)
        .map(([name, s]) => `${name} ${fmtMs(s.summary?.median)} ms`)
        .join(", ");
      const ratios = Object.entries(row.ratios)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k} ${fmtRatio(v)}`)
        .join(", ");
      log(`  ${row.metric}: ${medians}${ratios ? ` | ${ratios}` : ""}`);
    }
  }

  for (const sys of systems) {
    memory[sys.name] ??= { daemonRssIdleBytes: idleRss[sys.name], daemonRssBeforeBytes: undefined, daemonRssWith50Bytes: undefined, monitors: 0, monitorPssMeanBytes: undefined, monitorPssMedianBytes: undefined, perContainerBytes: undefined, error: "not measured: the batch of 50 failed before its last repetition" };
  }

  // Read now, while the daemon runs: every traced operation so far has
  // ended, and its line is written (the file is appended as each ends).
  const berth = systems.find((s) => s.name === "berth");
  const tracePath = berth !== undefined && "tracePath" in berth ? /** @type {string | undefined} */ (berth.tracePath) : undefined;
  // The bridge row alone still gets its column (its ids name the row).
  const phases = tracePath === undefined || (only && options.bridgeOnly !== 1) ? undefined : await readPhaseBreakdown(tracePath, { warmup: options.warmup, batchWarmup: options.batchWarmup });

  /** @type {Results["pull"]} */
  let pull;
  if (options.pullReps > 0 && options.bridgeOnly !== 1 && options.imageOnly !== 1) {
    log(`pull: ${options.warmup > 0 ? 1 : 0} warm-up + ${options.pullReps} timed pulls each`);
    pull = await measurePull({ ws, systems, paths: o.prereqs.paths, rootfs, reps: options.pullReps, warmup: options.warmup > 0 ? 1 : 0, log });
    const medians = Object.entries(pull.contenders).map(([name, c]) => `${name} ${fmtMs(c.summary?.median)} ms`);
    log(`  ${pull.error ?? medians.join(", ")}${Object.entries(pull.ratios).map(([k, v]) => ` | ${k} ${fmtRatio(v)}`).join("")}`);
  }

  /** @type {Results["image"]} */
  let image;
  if (options.imageReps > 0 && options.pullOnly !== 1 && options.bridgeOnly !== 1 && options.seccompOnly !== 1) {
    log(`create from an image: ${options.warmup} warm-up + ${options.imageReps} timed creates each`);
    image = await measureImage({ systems, image: imageArchive, reps: options.imageReps, warmup: options.warmup, log });
    const medians = Object.entries(image.contenders).map(([name, c]) => `${name} ${fmtMs(c.summary?.median)} ms`);
    log(`  ${image.error ?? medians.join(", ")}${Object.entries(image.ratios).map(([k, v]) => ` | ${k} ${fmtRatio(v)}`).join("")}`);
  }

  /** @type {Results["events"]} */
  const events = {};
  for (const sys of systems) {
    if (sys.subscribeStateChanges === undefined || only || options.seccompOnly === 1) continue;
    log(`events: ${sys.name}, ${options.subscribers} subscribers, ${options.eventsSeconds} s of pause/resume`);
    try {
      const e = await measureEvents(sys, { subscribers: options.subscribers, seconds: options.eventsSeconds });
      events[sys.name] = e;
      log(`  ${sys.name}: ${Math.round(e.eventsPerSecond)} events/s delivered (${e.stateChanges} state changes)`);
    } catch (err) {
      events[sys.name] = { error: /** @type {Error} */ (err).message };
      log(`  ${sys.name}: ${/** @type {Error} */ (err).message}`);
    }
  }

  /** @type {Results["leak"]} */
  let leak;
  if (options.leakCreates + options.leakExecs > 0 && !only && options.seccompOnly !== 1 && systems.some((s) => s.name === "berth")) {
    log(`leak: ${options.leakCreates} containers created and deleted, then ${options.leakExecs} execs, on a berth daemon of its own`);
    leak = await measureLeak({ ws, rootfs, creates: options.leakCreates, execs: options.leakExecs, log });
  }

  machine.loadAtEnd = loadAverage();
  const latency = metricRows(opResults);
  const targets = evaluateTargets(latency, memory, events, pull, image, leak);
  return {
    generatedAt: new Date().toISOString(),
    durationSeconds: (performance.now() - o.started) / 1000,
    options: { ...options },
    machine,
    systems: statuses,
    latency,
    memory,
    events,
    ...(pull !== undefined && { pull }),
    ...(image !== undefined && { image }),
    ...(leak !== undefined && { leak }),
    ...(phases !== undefined && { phases }),
    ...(bridge !== undefined && { bridge: { setup: bridge.setup, leftBehind: bridge.leftBehind() } }),
    // A run of one row judges that row's targets only.
    targets:
      options.bridgeOnly === 1
        ? targets.filter((t) => t.target.startsWith(BRIDGE_TARGET))
        : options.imageOnly === 1
          ? targets.filter((t) => t.target.startsWith(IMAGE_TARGET))
          : targets,
  };
}
