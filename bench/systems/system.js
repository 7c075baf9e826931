// @ts-check
// System is the one small interface the harness drives; bench/systems/
// holds one adapter per system (runc.js, berth.js, containerd.js,
// podman.js). Every
// method named after an operation is the timed part and nothing else: what
// must exist before it (a bundle on disk) is made by prepare(), and what is
// left after it is removed by remove(), both outside the timed window.

/** @typedef {"runc" | "berth" | "containerd" | "podman"} SystemName */

/**
 * @typedef {"exit3" | "sleep"} Workload
 * exit3: `sh -c 'exit 3'`; sleep: `sleep 3600` (a container that runs until
 * it is killed).
 */

/**
 * @typedef {object} MemoryPids
 * @property {number[]} daemon the daemon's pid (none for runc)
 * @property {number[]} monitors one per container: conmon for berth and
 *   Podman, containerd-shim-runc-v2 for containerd, none for runc
 */

/**
 * @typedef {object} Subscribers
 * @property {Int32Array} counts state-change events each subscriber has
 *   received so far (shared memory, updated by a worker thread)
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} System
 * @property {SystemName} name
 * @property {string} version what the report prints for this system
 * @property {() => Promise<void>} start starts daemons and opens the
 *   adapter's own event subscription; throws Unavailable when the system
 *   cannot run here
 * @property {() => Promise<void>} stop removes every container it made and
 *   stops its daemons
 * @property {(() => Promise<void>) | undefined} ping one empty unary RPC
 *   (the RPC floor), undefined when the system has no daemon
 * @property {(id: string, workload: Workload) => Promise<void>} prepare
 *   untimed: whatever must exist before create (runc: the bundle)
 * @property {(id: string) => Promise<number>} runToExit creates and starts
 *   an "exit3" container; resolves with the exit code once the exit has been
 *   observed (an exit event reached the adapter's subscriber, or `runc run`
 *   returned)
 * @property {(id: string) => Promise<void>} createRunning creates and starts
 *   a "sleep" container; resolves when its process runs
 * @property {((id: string) => Promise<void>) | undefined} [createRunningUnconfined]
 *   createRunning without a seccomp filter (berth: the seccomp row)
 * @property {(id: string) => Promise<void>} remove untimed: kills the
 *   container if it runs and deletes every trace of it
 * @property {(id: string, execId: string) => Promise<number>} exec runs
 *   `sh -c :` in a running container; resolves with its exit code
 * @property {() => Promise<void>} settle untimed, after each timed call:
 *   deferred clean-up that is not part of the operation (containerd deletes
 *   the exec'd processes that exited)
 * @property {(id: string) => Promise<void>} signalToExit sends SIGKILL to
 *   the init process; resolves once its exit has been observed
 * @property {(id: string) => Promise<void>} pause
 * @property {(id: string) => Promise<void>} resume
 * @property {(id: string) => Promise<void>} stats reads cpu, memory, pids
 *   and block I/O use
 * @property {(id: string, memoryBytes: number) => Promise<void>} update sets
 *   the memory limit
 * @property {(ids: readonly string[], inFlight: number) => Promise<void>} startMany
 *   createRunning for every id, inFlight at a time
 * @property {(ids: readonly string[], inFlight: number) => Promise<void>} deleteMany
 *   remove for every id, inFlight at a time (this one is timed)
 * @property {() => MemoryPids} memoryPids
 * @property {((reference: string) => Promise<void>) | undefined} [pullImage]
 *   fetches the image from its registry and unpacks it, resolving once it
 *   can be run; undefined when the adapter does not pull (runc, Podman)
 * @property {BridgeSupport | undefined} [bridge] the bridge row's calls;
 *   undefined when the adapter has no bridge networking (runc)
 * @property {((id: string, n: number) => Promise<Subscribers>) | undefined} subscribeStateChanges
 *   opens n independent subscriptions (one connection each) to the pause
 *   and resume events of container id; undefined when the system has no
 *   event stream
 */

/**
 * @typedef {object} BridgeSupport
 * @property {string} how what the timed call is, for the report
 * @property {(net: import("../lib/bridge-net.js").BridgeNet, hostPort: number) => Promise<void>} setUp
 *   untimed, once: the system's own network (and, for ctr, its published port)
 * @property {(id: string, hostPort: number) => Promise<void>} createRunning
 *   the timed call: creates and starts busybox httpd on the network with
 *   127.0.0.1:hostPort published to its port 8080; resolves when it runs
 * @property {(id: string) => Promise<void>} remove untimed: the container,
 *   its address, its port rules
 * @property {() => Promise<void>} tearDown untimed, once: the network
 * @property {() => { ids: string[], files: string[] }} footprint the CNI
 *   container ids used so far and files outside the root that the system's
 *   networking writes (for the leak check)
 */

// Unavailable says a system cannot be measured on this host, and why; the
// benchmark reports it and goes on with the others.
export class Unavailable extends Error {
  /** @override */
  name = "Unavailable";
}

export {};
