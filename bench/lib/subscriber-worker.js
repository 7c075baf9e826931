// @ts-check
// The subscriber worker's entry point (see subscribers.js). It is a module
// of its own so that the adapter it imports, which imports subscribers.js,
// never forms an import cycle with a module still awaiting at top level.
import { isMainThread, parentPort, workerData } from "node:worker_threads";

/** @typedef {import("./subscribers.js").SubscriberJob} SubscriberJob */
/** @typedef {import("./subscribers.js").OpenSubscribers} OpenSubscribers */

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  const job = /** @type {SubscriberJob} */ (workerData);
  try {
    const mod = /** @type {{ openSubscribers: OpenSubscribers }} */ (await import(job.module));
    const close = await mod.openSubscribers(job.params, new Int32Array(job.counts));
    port.on("message", (message) => {
      if (message !== "close") return;
      close();
      port.close();
    });
    port.postMessage("ready");
  } catch (err) {
    port.postMessage(`cannot open subscribers: ${/** @type {Error} */ (err).message}`);
  }
}
