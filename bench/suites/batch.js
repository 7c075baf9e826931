// @ts-check
// Many containers at once: 50 started with 8 in flight, wall time until all
// run; then the same 50 deleted with 8 in flight. The last repetition also
// reads the memory figures while the 50 run (outside the clock).
import { time } from "../lib/harness.js";
import { memoryBaseline, memoryWithRunning } from "./memory.js";

/** @typedef {import("../lib/harness.js").Operation} Operation */

export const START_METRIC = "start 50, 8 in flight (wall)";
export const DELETE_METRIC = "delete 50, 8 in flight (wall)";

/**
 * @typedef {import("./memory.js").MemoryResult} MemoryResult
 */

/**
 * @param {{ reps: number, warmup: number, count: number, inFlight: number, idleRss: Record<string, number | undefined>, memory: Record<string, MemoryResult> }} o
 *   memory receives each system's figures from the last repetition
 * @returns {Operation}
 */
export function batchOperation(o) {
  return {
    key: "batch",
    metrics: [START_METRIC, DELETE_METRIC],
    reps: o.reps,
    warmup: o.warmup,
    rep: async (sys, rep) => {
      const ids = Array.from({ length: o.count }, (_, i) => `many-${rep}-${i}`);
      for (const id of ids) await sys.prepare(id, "sleep");
      const last = rep === o.warmup + o.reps - 1;
      try {
        const baseline = last ? await memoryBaseline(sys) : undefined;
        const start = await time(() => sys.startMany(ids, o.inFlight));
        if (baseline !== undefined) o.memory[sys.name] = await memoryWithRunning(sys, baseline, o.count, o.idleRss[sys.name]);
        return { [START_METRIC]: start, [DELETE_METRIC]: await time(() => sys.deleteMany(ids, o.inFlight)) };
      } catch (err) {
        for (const id of ids) await sys.remove(id).catch(() => {});
        throw err;
      }
    },
  };
}
