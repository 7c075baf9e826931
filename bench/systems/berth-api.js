// @ts-check
// berth's API as the benchmark uses it: proto/berth/v1 loaded with
// @grpc/proto-loader, the clients of its services on one unix socket, and
// the exit-event stream that tells the adapter when a process has ended.
import { readFile } from "node:fs/promises";

import { ExitWaiters } from "../lib/exit-waiters.js";
import { connect, grpc, isCode, loadPackage, lookup, waitReady } from "../lib/grpc.js";

/** @typedef {import("../lib/grpc.js").DynamicClient} DynamicClient */

export const NAMESPACE_HEADER = "berth-namespace";
const SERVICES = /** @type {const} */ ({
  containers: ["berth/v1/containers.proto", "berth.v1.ContainerService"],
  events: ["berth/v1/events.proto", "berth.v1.EventService"],
  system: ["berth/v1/system.proto", "berth.v1.SystemService"],
  images: ["berth/v1/images.proto", "berth.v1.ImageService"],
  networks: ["berth/v1/networks.proto", "berth.v1.NetworkService"],
});

/** @typedef {Record<keyof typeof SERVICES, DynamicClient>} BerthClients */

/** The repository's proto/ folder. */
function protoDir() {
  return new URL("../../proto", import.meta.url).pathname;
}

/**
 * loadService loads one service of berth's API.
 * @param {keyof typeof SERVICES} key
 */
export function loadService(key) {
  const [file, name] = SERVICES[key];
  return lookup(loadPackage([file], [protoDir()]), name);
}

/**
 * connectBerth makes one client per service on socket and waits until the
 * connection is up.
 * @param {string} socket
 * @returns {Promise<BerthClients>}
 */
export async function connectBerth(socket) {
  const pkg = loadPackage(
    Object.values(SERVICES).map(([file]) => file),
    [protoDir()],
  );
  const clients = /** @type {BerthClients} */ (
    Object.fromEntries(Object.entries(SERVICES).map(([key, [, name]]) => [key, connect(lookup(pkg, name), socket)]))
  );
  await waitReady(clients.system, 10_000);
  return clients;
}

/**
 * subscribeExits opens one EventService.Subscribe stream for the EXIT and
 * EXIT_PROCESS events of the namespace and hands each to exits (keyed by
 * container id and process id, "init" for the init process). It asks for
 * every event from sequence 0, so an exit is never missed, however late the
 * stream becomes live.
 * @param {DynamicClient} events
 * @param {import("@grpc/grpc-js").Metadata} md
 * @param {ExitWaiters} exits
 * @returns {grpc.ClientReadableStream<any>}
 */
export function subscribeExits(events, md, exits) {
  const request = { containerIds: [], types: ["EVENT_TYPE_EXIT", "EVENT_TYPE_EXIT_PROCESS"], sinceSequence: "0" };
  const stream = events.subscribe(request, md);
  stream.on("data", (/** @type {{ event?: { containerId: string, processId: string, exitCode: number } | null }} */ message) => {
    const e = message.event;
    if (e === undefined || e === null) return;
    exits.deliver(e.containerId, e.processId === "" ? "init" : e.processId, e.exitCode);
  });
  stream.on("error", (/** @type {Error} */ err) => {
    if (!isCode(err, grpc.status.CANCELLED)) exits.fail(new Error(`berth's event stream broke: ${err.message}`));
  });
  return stream;
}

/**
 * loadImageArchive streams the archive at path to ImageService.Load in
 * chunks of 1 MiB (the bound of one chunk).
 * @param {DynamicClient} images
 * @param {import("@grpc/grpc-js").Metadata} md
 * @param {string} path
 */
export async function loadImageArchive(images, md, path) {
  const data = await readFile(path);
  const load = /** @type {(md: import("@grpc/grpc-js").Metadata, cb: (err: Error | null) => void) => import("@grpc/grpc-js").ClientWritableStream<{ chunk: Buffer }>} */ (
    /** @type {unknown} */ (images["load"])
  ).bind(images);
  await new Promise((resolve, reject) => {
    const call = load(md, (err) => (err === null ? resolve(undefined) : reject(err)));
    for (let at = 0; at < data.length; at += 1 << 20) call.write({ chunk: data.subarray(at, at + (1 << 20)) });
    call.end();
  });
}
