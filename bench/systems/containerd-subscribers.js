// @ts-check
// openSubscribers opens one Events.Subscribe stream per slot of counts, each
// on its own connection, for the pause and resume events of the namespace.
// It runs in the subscriber worker (lib/subscriber-worker.js).
import { connect, metadataOf } from "../lib/grpc.js";
import { NAMESPACE, loadService } from "./containerd-api.js";

/** @typedef {import("../lib/grpc.js").DynamicClient} DynamicClient */

/**
 * @param {{ socket: string }} params
 * @param {Int32Array} counts
 * @returns {Promise<() => void>}
 */
export async function openSubscribers(params, counts) {
  const Events = loadService("events");
  const md = metadataOf({ "containerd-namespace": NAMESPACE });
  const filters = [`namespace==${NAMESPACE},topic=="/tasks/paused"`, `namespace==${NAMESPACE},topic=="/tasks/resumed"`];
  /** @type {DynamicClient[]} */
  const clients = [];
  /** @type {import("@grpc/grpc-js").ClientReadableStream<unknown>[]} */
  const streams = [];
  for (let i = 0; i < counts.length; i++) {
    const client = connect(Events, params.socket, { isolated: true });
    const stream = client.subscribe({ filters }, md);
    stream.on("data", () => Atomics.add(counts, i, 1));
    stream.on("error", () => {});
    clients.push(client);
    streams.push(stream);
  }
  return () => {
    for (const s of streams) s.cancel();
    for (const c of clients) c.close();
  };
}
