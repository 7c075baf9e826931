// @ts-check
// The cost of the default seccomp profile (issue 14): berth's Create to
// running with the default profile and with seccomp unconfined, side by
// side in every repetition (the order alternating, so neither always runs
// on a warmer machine). The target: default no more than 5 %
// slower.
import { time } from "../lib/harness.js";

/** @typedef {import("../lib/harness.js").Operation} Operation */

export const SECCOMP_DEFAULT = "create to running, default seccomp";
export const SECCOMP_UNCONFINED = "create to running, seccomp unconfined";

/**
 * @param {{ reps: number, warmup: number }} o
 * @returns {Operation}
 */
export function seccompOperation(o) {
  return {
    key: "createSeccomp",
    metrics: [SECCOMP_DEFAULT, SECCOMP_UNCONFINED],
    reps: o.reps,
    warmup: o.warmup,
    applies: (sys) => sys.createRunningUnconfined !== undefined,
    rep: async (sys, rep) => {
      /** @type {Record<string, number>} */
      const out = {};
      const runs = [
        { metric: SECCOMP_DEFAULT, id: `seccomp-default-${rep}`, create: (/** @type {string} */ id) => sys.createRunning(id) },
        { metric: SECCOMP_UNCONFINED, id: `seccomp-unconfined-${rep}`, create: (/** @type {string} */ id) => sys.createRunningUnconfined?.(id) ?? Promise.resolve() },
      ];
      if (rep % 2 === 1) runs.reverse();
      for (const r of runs) {
        await sys.prepare(r.id, "sleep");
        out[r.metric] = await time(() => r.create(r.id));
        await sys.remove(r.id);
      }
      return out;
    },
  };
}
