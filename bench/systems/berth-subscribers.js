// @ts-check
// openSubscribers opens one EventService.Subscribe stream per slot of
// counts, each on its own connection, for the pause and resume events of
// one container. It runs in the subscriber worker (lib/subscriber-worker.js).
import { connect, metadataOf } from "../lib/grpc.js";
import { NAMESPACE_HEADER, loadService } from "./berth-api.js";

/** @typedef {import("../lib/grpc.js").DynamicClient} DynamicClient */

/**
 * @param {{ socket: string, namespace: string, id: string }} params
 * @param {Int32Array} counts
 * @returns {Promise<() => void>}
 */
export async function openSubscribers(params, counts) {
  const Events = loadService("events");
  const md = metadataOf({ [NAMESPACE_HEADER]: params.namespace });
  const request = { containerIds: [params.id], types: ["EVENT_TYPE_PAUSE", "EVENT_TYPE_RESUME"] };
  /** @type {DynamicClient[]} */
  const clients = [];
  /** @type {import("@grpc/grpc-js").ClientReadableStream<unknown>[]} */
  const streams = [];
  for (let i = 0; i < counts.length; i++) {
    const client = connect(Events, params.socket, { isolated: true });
    const stream = client.subscribe(request, md);
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
