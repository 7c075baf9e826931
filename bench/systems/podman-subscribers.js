// @ts-check
// openSubscribers opens one libpod event stream per slot of counts, each on
// its own connection, for the pause and unpause events of one container.
// It runs in the subscriber worker (lib/subscriber-worker.js).
import { PodmanClient } from "./podman-api.js";

/**
 * @param {{ socket: string, id: string }} params
 * @param {Int32Array} counts
 * @returns {Promise<() => void>}
 */
export async function openSubscribers(params, counts) {
  const client = new PodmanClient(params.socket);
  const filters = { type: ["container"], container: [params.id], event: ["pause", "unpause"] };
  /** @type {(() => void)[]} */
  const closers = [];
  for (let i = 0; i < counts.length; i++) {
    // No agent: every stream gets a connection of its own.
    closers.push(
      client.events(
        filters,
        (e) => {
          if (e.Action === "pause" || e.Action === "unpause") Atomics.add(counts, i, 1);
        },
        () => {},
      ),
    );
  }
  return () => {
    for (const close of closers) close();
    client.close();
  };
}
