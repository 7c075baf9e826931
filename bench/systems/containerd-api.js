// @ts-check
// containerd's API as the benchmark uses it: the names and type URLs of
// containerd 1.6, the clients of its services on one unix socket, and the
// exit-event stream that tells the adapter when a process has ended.
import { ExitWaiters } from "../lib/exit-waiters.js";
import { connect, grpc, isCode, lookup, loadPackage, unary, waitReady } from "../lib/grpc.js";
import { decodeFields, numberField, stringField } from "../lib/proto-wire.js";
import { deferred, waitFor } from "../lib/wait.js";

/** @typedef {import("../lib/grpc.js").DynamicClient} DynamicClient */

export const NAMESPACE = "bench";
export const LEASE = "berth-bench";
export const SNAPSHOTTER = "overlayfs";
export const RUNTIME = "io.containerd.runc.v2";
export const SPEC_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
export const PROCESS_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process";
export const RESOURCES_URL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
export const RUNC_OPTIONS_URL = "containerd.runc.v1.Options";
// runc shim options (containerd.runc.v1.Options) field 7: runc's --root.
export const RUNC_OPTIONS_ROOT_FIELD = 7;
const PROBE_TOPIC = "/berth-bench/probe";
export const API = "github.com/containerd/containerd/api/";
const SERVICES = /** @type {const} */ ({
  tasks: ["services/tasks/v1/tasks.proto", "containerd.services.tasks.v1.Tasks"],
  containers: ["services/containers/v1/containers.proto", "containerd.services.containers.v1.Containers"],
  snapshots: ["services/snapshots/v1/snapshots.proto", "containerd.services.snapshots.v1.Snapshots"],
  events: ["services/events/v1/events.proto", "containerd.services.events.v1.Events"],
  leases: ["services/leases/v1/leases.proto", "containerd.services.leases.v1.Leases"],
  version: ["services/version/v1/version.proto", "containerd.services.version.v1.Version"],
});

/** @typedef {Record<keyof typeof SERVICES, DynamicClient>} ContainerdClients */

/** bench/proto, where the containerd .proto copies live. */
export function protoDir() {
  return new URL("../proto", import.meta.url).pathname;
}

/**
 * loadService loads one service of containerd's API.
 * @param {keyof typeof SERVICES} key
 */
export function loadService(key) {
  const [file, name] = SERVICES[key];
  return lookup(loadPackage([API + file], [protoDir()]), name);
}

/**
 * connectContainerd makes one client per service on socket and waits until
 * the connection is up.
 * @param {string} socket
 * @returns {Promise<ContainerdClients>}
 */
export async function connectContainerd(socket) {
  const pkg = loadPackage(
    Object.values(SERVICES).map(([file]) => API + file),
    [protoDir()],
  );
  const clients = /** @type {ContainerdClients} */ (
    Object.fromEntries(Object.entries(SERVICES).map(([key, [, name]]) => [key, connect(lookup(pkg, name), socket)]))
  );
  await waitReady(clients.tasks, 10_000);
  return clients;
}

/**
 * subscribeExits opens one Events.Subscribe stream for the /tasks/exit
 * events of the namespace and hands each to exits (keyed by container id
 * and exec id, which is the container id for the init process); onInitExit
 * hears every init exit. It resolves once the stream is live: it publishes
 * probe events until one comes back, so no exit after that is missed.
 * @param {DynamicClient} events
 * @param {import("@grpc/grpc-js").Metadata} md
 * @param {ExitWaiters} exits
 * @param {(containerId: string) => void} onInitExit
 * @returns {Promise<grpc.ClientReadableStream<any>>}
 */
export async function subscribeExits(events, md, exits, onInitExit) {
  const probe = /** @type {import("../lib/wait.js").Deferred<void>} */ (deferred());
  const filters = [`namespace==${NAMESPACE},topic=="/tasks/exit"`, `topic=="${PROBE_TOPIC}"`];
  const stream = events.subscribe({ filters }, md);
  stream.on("data", (/** @type {{ topic: string, event?: { value?: Buffer } }} */ envelope) => {
    if (envelope.topic === PROBE_TOPIC) {
      probe.resolve(undefined);
      return;
    }
    // containerd.events.TaskExit: container_id 1, id 2, pid 3, exit_status 4.
    const fields = decodeFields(envelope.event?.value ?? Buffer.alloc(0));
    const containerId = stringField(fields, 1);
    const processId = stringField(fields, 2);
    if (processId === containerId) onInitExit(containerId);
    exits.deliver(containerId, processId, numberField(fields, 4));
  });
  stream.on("error", (/** @type {Error} */ err) => {
    if (!isCode(err, grpc.status.CANCELLED)) exits.fail(new Error(`containerd's event stream broke: ${err.message}`));
  });
  await waitFor(
    async () => {
      await unary(events, "publish", { topic: PROBE_TOPIC, event: { type_url: "berth.bench.Probe", value: Buffer.alloc(0) } }, md);
      return Promise.race([probe.promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 100))]);
    },
    { timeoutMs: 10_000, intervalMs: 0, what: "containerd's event stream to deliver a probe" },
  );
  return stream;
}
