// @ts-check
// Event subscribers live in a worker thread, so that decoding 100 streams
// does not steal the event loop that produces the state changes and times
// them. Each adapter module exports openSubscribers(params, counts), which
// the worker (subscriber-worker.js) imports and calls; counts is shared
// memory, one slot per subscriber, incremented with Atomics.
import { Worker } from "node:worker_threads";

/**
 * @typedef {object} SubscriberJob
 * @property {string} module URL of the adapter module
 * @property {unknown} params what its openSubscribers needs
 * @property {SharedArrayBuffer} counts
 */

/**
 * @typedef {(params: any, counts: Int32Array) => Promise<() => void>} OpenSubscribers
 */

/**
 * startSubscribers runs module's openSubscribers in a worker with n slots.
 * @param {string} module
 * @param {unknown} params
 * @param {number} n
 * @returns {Promise<import("../systems/system.js").Subscribers>}
 */
export async function startSubscribers(module, params, n) {
  const shared = new SharedArrayBuffer(4 * n);
  const worker = new Worker(new URL("./subscriber-worker.js", import.meta.url), { workerData: /** @type {SubscriberJob} */ ({ module, params, counts: shared }) });
  await new Promise((resolve, reject) => {
    worker.once("message", (message) => (message === "ready" ? resolve(undefined) : reject(new Error(String(message)))));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the subscriber worker exited with ${code}`)));
  });
  const counts = new Int32Array(shared);
  return {
    counts,
    close: async () => {
      worker.postMessage("close");
      await new Promise((resolve) => {
        const timer = setTimeout(() => void worker.terminate().then(resolve), 5000);
        worker.once("exit", () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    },
  };
}
