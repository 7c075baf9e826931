// @ts-check
// ExitWaiters matches exit events from a subscription to the callers
// waiting for them. A caller registers before it starts the process, so an
// exit that comes at once is never missed; an exit nobody waits for yet is
// kept until someone asks (a bounded number of them).
import { deferred, withTimeout } from "./wait.js";

const KEEP_UNCLAIMED = 10_000;

export class ExitWaiters {
  /** @type {Map<string, import("./wait.js").Deferred<number>>} */ #waiting = new Map();
  /** @type {Map<string, number>} */ #unclaimed = new Map();
  /** @type {Error | undefined} */ #broken;

  /**
   * expect returns a promise of the exit code of process processId of
   * container id; call it before starting the process.
   * @param {string} id
   * @param {string} processId
   * @param {number} timeoutMs
   * @returns {Promise<number>}
   */
  expect(id, processId, timeoutMs) {
    const key = `${id}\0${processId}`;
    const early = this.#unclaimed.get(key);
    if (early !== undefined) {
      this.#unclaimed.delete(key);
      return Promise.resolve(early);
    }
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const d = /** @type {import("./wait.js").Deferred<number>} */ (deferred());
    this.#waiting.set(key, d);
    const exit = withTimeout(d.promise, timeoutMs, `the exit event of ${id}/${processId}`).finally(() => this.#waiting.delete(key));
    // A caller whose start failed never awaits this; that must not crash
    // the process when the wait times out (awaiting it still throws).
    exit.catch(() => {});
    return exit;
  }

  /**
   * deliver hands over one exit event.
   * @param {string} id
   * @param {string} processId
   * @param {number} exitCode
   */
  deliver(id, processId, exitCode) {
    const key = `${id}\0${processId}`;
    const waiter = this.#waiting.get(key);
    if (waiter !== undefined) {
      this.#waiting.delete(key);
      waiter.resolve(exitCode);
      return;
    }
    if (this.#unclaimed.size >= KEEP_UNCLAIMED) this.#unclaimed.clear();
    this.#unclaimed.set(key, exitCode);
  }

  /**
   * forget drops an exit kept for nobody (after an untimed kill).
   * @param {string} id
   * @param {string} processId
   */
  forget(id, processId) {
    this.#unclaimed.delete(`${id}\0${processId}`);
  }

  /**
   * fail rejects every waiter, now and later: the subscription broke.
   * @param {Error} err
   */
  fail(err) {
    this.#broken = err;
    for (const waiter of this.#waiting.values()) waiter.reject(err);
    this.#waiting.clear();
  }
}
