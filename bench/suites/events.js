// @ts-check
// Events: one container changes state (pause, resume, pause, ...) as fast as
// its system lets one client drive it, while n subscribers, each on its own
// connection, listen to its state changes. Reported: events delivered per
// second across all subscribers (from the first state change until the last
// subscriber has received the last event) and the daemon's RSS meanwhile.
// The producer is one client waiting for each pause and resume, so the rate
// is bounded by subscribers x the system's state changes per second; the
// drain time shows how far the fan-out itself lags behind.

import { waitFor } from "../lib/wait.js";
import { daemonRss } from "./memory.js";

/** @typedef {import("../systems/system.js").System} System */

/**
 * @typedef {object} EventsResult
 * @property {number} subscribers
 * @property {number} stateChanges produced during the window
 * @property {number} delivered events received by all subscribers together
 * @property {number} seconds from the first state change to the last delivery
 * @property {number} eventsPerSecond delivered / seconds
 * @property {number} stateChangesPerSecond
 * @property {number} drainMs from the last state change until every
 *   subscriber had every event (the fan-out's own lag)
 * @property {number | undefined} rssBeforeBytes daemon RSS before the subscribers
 * @property {number | undefined} rssMaxBytes daemon RSS peak while delivering
 * @property {number | undefined} rssAfterBytes daemon RSS after they closed
 */

/**
 * measureEvents runs the event storm on one system.
 * @param {System} sys
 * @param {{ subscribers: number, seconds: number }} o
 * @returns {Promise<EventsResult>}
 */
export async function measureEvents(sys, o) {
  const subscribe = sys.subscribeStateChanges;
  if (subscribe === undefined) throw new Error(`${sys.name} has no event stream`);
  const id = "events";
  await sys.prepare(id, "sleep");
  await sys.createRunning(id);
  /** @type {EventsResult | undefined} */
  let result;
  try {
    const rssBefore = daemonRss(sys);
    const subs = await subscribe.call(sys, id, o.subscribers);
    try {
      result = await storm(sys, id, subs.counts, o);
      result.rssBeforeBytes = rssBefore;
    } finally {
      await subs.close();
    }
    result.rssAfterBytes = daemonRss(sys);
    return result;
  } finally {
    await sys.remove(id);
  }
}

/**
 * @param {System} sys
 * @param {string} id
 * @param {Int32Array} counts
 * @param {{ subscribers: number, seconds: number }} o
 * @returns {Promise<EventsResult>}
 */
async function storm(sys, id, counts, o) {
  const total = () => counts.reduce((a, b) => a + b, 0);
  /** @param {number[]} base @param {number} n */
  const everyone = (base, n) => counts.every((c, i) => c - (base[i] ?? 0) >= n);
  // Until every subscriber has seen a state change, a stream may not be
  // live yet: drive pause/resume until each has seen both.
  await waitFor(
    async () => {
      await sys.pause(id);
      await sys.resume(id);
      return everyone([], 2);
    },
    { timeoutMs: 20_000, intervalMs: 50, what: `all ${o.subscribers} subscribers to receive events` },
  );
  // Let the probes' events drain: two looks 100 ms apart that agree.
  let seen = -1;
  await waitFor(
    () => {
      const now = total();
      const same = now === seen;
      seen = now;
      return same;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: "in-flight events to drain" },
  );
  const base = Array.from(counts);
  const baseTotal = total();

  let rssMax = daemonRss(sys);
  const sampler = setInterval(() => {
    const rss = daemonRss(sys);
    if (rss !== undefined && (rssMax === undefined || rss > rssMax)) rssMax = rss;
  }, 50);
  try {
    let produced = 0;
    const start = performance.now();
    const until = start + o.seconds * 1000;
    while (performance.now() < until) {
      await sys.pause(id);
      await sys.resume(id);
      produced += 2;
    }
    const producedAt = performance.now();
    const producedFor = (producedAt - start) / 1000;
    await waitFor(() => everyone(base, produced), {
      timeoutMs: 30_000,
      intervalMs: 0,
      what: () => `every subscriber to receive all ${produced} state changes (received ${total() - baseTotal} of ${produced * o.subscribers})`,
    });
    const doneAt = performance.now();
    const seconds = (doneAt - start) / 1000;
    const delivered = total() - baseTotal;
    return {
      subscribers: o.subscribers,
      stateChanges: produced,
      delivered,
      seconds,
      eventsPerSecond: delivered / seconds,
      stateChangesPerSecond: produced / producedFor,
      drainMs: doneAt - producedAt,
      rssBeforeBytes: undefined,
      rssMaxBytes: rssMax,
      rssAfterBytes: undefined,
    };
  } finally {
    clearInterval(sampler);
  }
}
