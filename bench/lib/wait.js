// @ts-check
// Deadlines, polling and hand-made promises. The benchmark never sleeps and
// hopes: every wait polls a condition and fails with a message at its
// deadline.
import { setImmediate as nextTurn, setTimeout as delay } from "node:timers/promises";

/**
 * @template T
 * @typedef {object} Deferred
 * @property {Promise<T>} promise
 * @property {(value: T) => void} resolve
 * @property {(reason: unknown) => void} reject
 */

/**
 * deferred returns a promise with its resolve and reject functions.
 * @template T
 * @returns {Deferred<T>}
 */
export function deferred() {
  /** @type {(value: T) => void} */
  let resolve = () => {};
  /** @type {(reason: unknown) => void} */
  let reject = () => {};
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A deferred nobody awaits yet must not crash the process when rejected.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * withTimeout rejects with what's message if promise has not settled in ms.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout])).finally(() => clearTimeout(timer));
}

/**
 * waitFor polls condition every intervalMs until it returns a value other
 * than undefined or false, and throws after timeoutMs. An interval of 0
 * polls on every turn of the event loop (for sub-millisecond waits).
 * @template T
 * @param {() => T | undefined | false | Promise<T | undefined | false>} condition
 * @param {{ timeoutMs: number, intervalMs?: number, what: string | (() => string) }} options
 * @returns {Promise<T>}
 */
export async function waitFor(condition, options) {
  const deadline = performance.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 10;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) {
      const what = typeof options.what === "function" ? options.what() : options.what;
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    if (interval === 0) await nextTurn();
    else await delay(interval);
  }
}

/**
 * mapPool calls fn on every item with at most inFlight calls running at once
 * and resolves when all are done; the first failure rejects (after the calls
 * already started have settled, so nothing is left running unseen).
 * @template T
 * @param {readonly T[]} items
 * @param {number} inFlight
 * @param {(item: T, index: number) => Promise<void>} fn
 * @returns {Promise<void>}
 */
export async function mapPool(items, inFlight, fn) {
  let next = 0;
  /** @type {unknown[]} */
  const errors = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const index = next++;
      try {
        await fn(/** @type {T} */ (items[index]), index);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
