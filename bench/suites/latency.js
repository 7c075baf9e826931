// @ts-check
// The single-container operations of issue 5, one Operation each: run to
// exit, create to running, signal to exit, exec, pause and resume, stats
// (beside the RPC floor of each daemon), update.
import { time } from "../lib/harness.js";

/** @typedef {import("../lib/harness.js").Operation} Operation */
/** @typedef {import("../systems/system.js").System} System */

const MIB = 1024 * 1024;
export const RPC_FLOOR = "rpc floor (empty unary call)";

/**
 * @typedef {object} LatencyOptions
 * @property {number} reps
 * @property {number} warmup
 */

/**
 * latencyOperations returns the operations in the order they run.
 * @param {LatencyOptions} o
 * @returns {Operation[]}
 */
export function latencyOperations(o) {
  const { reps, warmup } = o;
  return [
    {
      key: "runToExit",
      metrics: ["run to exit (exit code 3 observed)"],
      reps,
      warmup,
      rep: async (sys, rep) => {
        const id = `run-${rep}`;
        await sys.prepare(id, "exit3");
        /** @type {number | undefined} */
        let code;
        const ms = await time(async () => {
          code = await sys.runToExit(id);
        });
        await sys.remove(id);
        if (code !== 3) throw new Error(`run to exit: expected exit code 3, observed ${code}`);
        return { "run to exit (exit code 3 observed)": ms };
      },
    },
    {
      key: "createRunning",
      metrics: ["create to running"],
      reps,
      warmup,
      rep: async (sys, rep) => {
        const id = `create-${rep}`;
        await sys.prepare(id, "sleep");
        const ms = await time(() => sys.createRunning(id));
        await sys.remove(id);
        return { "create to running": ms };
      },
    },
    {
      key: "signalToExit",
      metrics: ["signal to exit observed (SIGKILL)"],
      reps,
      warmup,
      rep: async (sys, rep) => {
        const id = `signal-${rep}`;
        await sys.prepare(id, "sleep");
        await sys.createRunning(id);
        const ms = await time(() => sys.signalToExit(id));
        await sys.remove(id);
        return { "signal to exit observed (SIGKILL)": ms };
      },
    },
    withLiveContainer("live-exec", {
      key: "exec",
      metrics: ["exec to exit code (sh -c :)"],
      reps,
      warmup,
      rep: async (sys, rep) => {
        /** @type {number | undefined} */
        let code;
        const ms = await time(async () => {
          code = await sys.exec("live-exec", `exec-${rep}`);
        });
        if (code !== 0) throw new Error(`exec: expected exit code 0, observed ${code}`);
        return { "exec to exit code (sh -c :)": ms };
      },
    }),
    withLiveContainer("live-pause", {
      key: "pauseResume",
      metrics: ["pause", "resume"],
      reps,
      warmup,
      rep: async (sys) => ({
        pause: await time(() => sys.pause("live-pause")),
        resume: await time(() => sys.resume("live-pause")),
      }),
    }),
    // The RPC floor is measured in the same repetitions as stats, call by
    // call, so that "stats costs N times an empty call" compares like with
    // like (same moment, same warmed-up daemon).
    withLiveContainer(
      "live-stats",
      {
        key: "stats",
        metrics: [RPC_FLOOR, "stats"],
        reps: reps * 2,
        warmup,
        rep: async (sys) => {
          /** @type {Record<string, number>} */
          const out = {};
          if (sys.ping !== undefined) out[RPC_FLOOR] = await time(sys.ping);
          out["stats"] = await time(() => sys.stats("live-stats"));
          return out;
        },
      },
      // A Node daemon's JIT needs a few hundred calls to settle.
      async (sys) => {
        for (let i = 0; i < 200 && sys.ping !== undefined; i++) await sys.ping();
      },
    ),
    withLiveContainer("live-update", {
      key: "update",
      metrics: ["update memory limit"],
      reps,
      warmup,
      // Alternate between two limits, so every call changes something.
      rep: async (sys, rep) => ({ "update memory limit": await time(() => sys.update("live-update", (rep % 2 === 0 ? 256 : 320) * MIB)) }),
    }),
  ];
}

/**
 * withLiveContainer gives op a running "sleep" container named id, made
 * before its first repetition and removed after its last; warm, if given,
 * runs after it is made.
 * @param {string} id
 * @param {Operation} op
 * @param {(sys: System) => Promise<void>} [warm]
 * @returns {Operation}
 */
function withLiveContainer(id, op, warm) {
  return {
    ...op,
    before: async (sys) => {
      await sys.prepare(id, "sleep");
      await sys.createRunning(id);
      if (warm !== undefined) await warm(sys);
    },
    after: (sys) => sys.remove(id),
  };
}
