// @ts-check
// The bridge row (issue 12): create to running of busybox httpd on a bridge
// network with one published port, 127.0.0.1:P -> 8080/tcp, through the
// same CNI plugins (Debian's bridge, host-local, portmap, firewall): berth's
// Create, containerd's `ctr run --cni` and Podman's create + start. Each
// system has a network of its own (bridge-net.js). The timed part is the
// call that returns once the container runs; then, untimed, the page
// /passwd is fetched from 127.0.0.1:P until it is served (a repetition
// whose container is not reachable within 10 s fails the system), and the
// container is removed with its address and rules. After the row every
// network is removed and the host is checked for the row's bridges,
// iptables rules and reservations; whatever is found is removed and
// reported as left behind. The same is done before the row, for what a run
// killed mid-row left.
import { existsSync } from "node:fs";

import { bridgeNetOf, freePort, untilServed } from "../lib/bridge-net.js";
import { bridgeLeftovers, sweepBridgeLeftovers } from "../lib/bridge-sweep.js";
import { time } from "../lib/harness.js";
import { listProcesses } from "../lib/proc.js";
import { waitFor } from "../lib/wait.js";

/** @typedef {import("../lib/harness.js").Operation} Operation */
/** @typedef {import("../systems/system.js").System} System */
/** @typedef {import("../lib/bridge-net.js").BridgeNet} BridgeNet */

export const BRIDGE_METRIC = "create to running, bridge network + 1 published port";
const REACHABLE_TIMEOUT_MS = 10_000;
const INDEX = /** @type {const} */ ({ berth: 1, containerd: 2, podman: 3 });

/**
 * @typedef {object} BridgeRow
 * @property {Operation} op
 * @property {() => string[]} leftBehind what the row's clean-up found and
 *   could not remove, once the operation has run
 * @property {Record<string, { network: BridgeNet, how: string, leftBySystem?: string[] }>} setup
 *   per system: its network, its timed call, and what its own clean-up
 *   left on the host (removed by the bench afterwards)
 */

/**
 * bridgeOperation builds the row for run runId.
 * @param {{ reps: number, warmup: number, ws: import("../lib/workspace.js").Workspace, log: (line: string) => void }} o
 * @returns {BridgeRow}
 */
export function bridgeOperation(o) {
  // libcni's (ctr's) and Podman's CNI folders, if this run makes them.
  for (const dir of ["/var/lib/cni", "/var/lib/cni/networks", "/var/lib/cni/results"]) if (!existsSync(dir)) o.ws.ownIfEmpty(dir);
  /** @type {Map<string, { net: BridgeNet, port: number }>} */
  const state = new Map();
  /** @type {string[]} */
  const left = [];
  /** @type {BridgeRow["setup"]} */
  const setup = {};
  /** @param {System} sys */
  const support = (sys) => {
    if (sys.bridge === undefined) throw new Error(`${sys.name} has no bridge networking`);
    return sys.bridge;
  };
  /** @type {Operation} */
  const op = {
    key: "bridgeCreateRunning",
    metrics: [BRIDGE_METRIC],
    reps: o.reps,
    warmup: o.warmup,
    applies: (sys) => sys.bridge !== undefined && sys.name in INDEX,
    before: async (sys) => {
      const net = bridgeNetOf(sys.name, INDEX[/** @type {keyof typeof INDEX} */ (sys.name)]);
      const stale = await bridgeLeftovers(footprintOf(net, { ids: [], files: [] }));
      if (stale.length > 0) {
        o.log(`  removing what an earlier run left on ${net.bridge}: ${stale.join("; ")}`);
        await sweepBridgeLeftovers(footprintOf(net, { ids: [], files: [] }));
      }
      const port = await freePort();
      state.set(sys.name, { net, port });
      setup[sys.name] = { network: net, how: support(sys).how };
      await support(sys).setUp(net, port);
    },
    rep: async (sys, rep) => {
      const s = state.get(sys.name);
      if (s === undefined) throw new Error(`no bridge network for ${sys.name}`);
      const b = support(sys);
      const id = `bridge-${sys.name}-${rep}`;
      try {
        const ms = await time(() => b.createRunning(id, s.port));
        await untilServed(s.port, REACHABLE_TIMEOUT_MS);
        return { [BRIDGE_METRIC]: ms };
      } finally {
        await b.remove(id);
        // Nothing of the container still runs (a monitor, a shim) when the
        // next system's create is timed.
        await waitFor(() => !listProcesses().some((p) => p.argv.some((a) => a === id || a.endsWith(`/${id}`))), { timeoutMs: 30_000, intervalMs: 10, what: `the processes of ${sys.name}'s ${id} to end` });
      }
    },
    after: async (sys) => {
      const s = state.get(sys.name);
      if (s === undefined) return;
      const b = support(sys);
      /** @type {unknown} */
      let failure;
      try {
        await b.tearDown();
      } catch (err) {
        failure = err;
      }
      const footprint = footprintOf(s.net, b.footprint());
      // What the system's own clean-up left: ctr's bridge and its
      // firewall isolation rules, which nobody running ctr removes, are
      // expected; anything else is the system's leak, reported as such.
      const found = await bridgeLeftovers(footprint);
      if (found.length > 0) setup[sys.name] = { ...(setup[sys.name] ?? { network: s.net, how: b.how }), leftBySystem: found };
      left.push(...(await sweepBridgeLeftovers(footprint)).map((l) => `${sys.name}'s bridge network: ${l}`));
      if (failure !== undefined) throw failure;
    },
  };
  return { op, leftBehind: () => [...left], setup };
}

/**
 * footprintOf is what of net and of a system's containers on it may be on
 * the host.
 * @param {BridgeNet} net
 * @param {{ ids: string[], files: string[] }} fp
 * @returns {import("../lib/bridge-sweep.js").BridgeFootprint}
 */
function footprintOf(net, fp) {
  return { bridges: [net.bridge], needles: [net.subnet.replace(/0\/24$/, ""), net.name, ...fp.ids], files: fp.files };
}
