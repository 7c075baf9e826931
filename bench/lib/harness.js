// @ts-check
// The measurement loop: for every operation, warm-up repetitions and then
// timed ones, each repetition running the systems one after the other in a
// fixed order (A B C A B C ...), so that whatever drifts during the run
// (page cache, CPU frequency, another process) touches all systems alike.
// A system that fails an operation is reported with its error and skipped
// for the rest of that operation; the others go on.
import { withTimeout } from "./wait.js";

/** @typedef {import("../systems/system.js").System} System */

const REP_TIMEOUT_MS = 120_000;

/**
 * @typedef {object} Operation
 * @property {string} key stable name used in the JSON results
 * @property {string[]} metrics the timings one repetition records, e.g.
 *   ["pause", "resume"]; each is reported as its own row
 * @property {number} reps timed repetitions
 * @property {number} warmup repetitions run first and thrown away
 * @property {(sys: System) => boolean} [applies] false skips a system
 * @property {(sys: System) => Promise<void>} [before] untimed, once per system
 * @property {(sys: System, rep: number) => Promise<Record<string, number>>} rep
 *   one repetition: untimed set-up, the timed calls (their milliseconds by
 *   metric), untimed clean-up
 * @property {(sys: System) => Promise<void>} [after] untimed, once per system
 */

/**
 * @typedef {object} OperationResult
 * @property {string} key
 * @property {Record<string, Record<string, (number | undefined)[]>>} samples
 *   metric -> system -> milliseconds per timed repetition (undefined where
 *   the system failed)
 * @property {Record<string, string>} errors system -> why it stopped
 */

/**
 * time runs fn and returns how long it took in milliseconds.
 * @param {() => Promise<unknown>} fn
 * @returns {Promise<number>}
 */
export async function time(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * runOperation measures one operation on every system.
 * @param {Operation} op
 * @param {readonly System[]} systems
 * @param {(line: string) => void} log
 * @returns {Promise<OperationResult>}
 */
export async function runOperation(op, systems, log) {
  const active = systems.filter((sys) => op.applies?.(sys) ?? true);
  /** @type {OperationResult} */
  const result = { key: op.key, samples: {}, errors: {} };
  for (const metric of op.metrics) {
    result.samples[metric] = Object.fromEntries(active.map((sys) => [sys.name, /** @type {(number | undefined)[]} */ ([])]));
  }
  /** @param {System} sys @param {unknown} err */
  const fail = (sys, err) => {
    const message = err instanceof Error ? err.message : String(err);
    result.errors[sys.name] ??= message;
    log(`    ${sys.name}: ${message}`);
  };
  const ok = new Set(active);
  for (const sys of active) {
    try {
      if (op.before) await withTimeout(op.before(sys), REP_TIMEOUT_MS, `${op.key} set-up on ${sys.name}`);
    } catch (err) {
      fail(sys, err);
      ok.delete(sys);
    }
  }
  const total = op.warmup + op.reps;
  for (let rep = 0; rep < total; rep++) {
    for (const sys of active) {
      /** @type {Record<string, number> | undefined} */
      let timings;
      if (ok.has(sys)) {
        try {
          timings = await withTimeout(op.rep(sys, rep), REP_TIMEOUT_MS, `${op.key} rep ${rep} on ${sys.name}`);
          await sys.settle();
        } catch (err) {
          fail(sys, err);
          ok.delete(sys);
        }
      }
      if (rep < op.warmup) continue;
      for (const metric of op.metrics) {
        result.samples[metric]?.[sys.name]?.push(timings?.[metric]);
      }
    }
  }
  for (const sys of active) {
    try {
      if (op.after) await withTimeout(op.after(sys), REP_TIMEOUT_MS, `${op.key} clean-up on ${sys.name}`);
    } catch (err) {
      fail(sys, err);
    }
  }
  return result;
}
