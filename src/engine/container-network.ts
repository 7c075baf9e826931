// A container's network across its runs: CNI ADD before each run starts
// (its address and published ports), DEL once the run has ended, so a
// stopped container holds no address, as with Docker and Podman. The
// namespace itself lives as long as the container (see NetworkManager).
import type { ManagedContainer } from "./managed-container.js";
import type { ProcessRun } from "./process-state.js";

// connectRun gives the run about to start its address; the caller holds
// the queue.
export async function connectRun(c: ManagedContainer): Promise<void> {
  if (c.network !== undefined) await c.ctx.networks.connect(c.paths.dir, c.network);
}

// connectAndLaunch gives the run its address and has the runtime create its
// process (launch), side by side when nobody can tell: a bridge
// container's namespace is berth's, made before (runc joins it by path), and
// the process runc creates runs nothing until runc start, by when both are
// done; so the CNI ADD's plugins and conmon's runc create overlap instead of
// adding up. Hooks that run inside runc create (prestart, createRuntime,
// createContainer) may expect the network configured, as Docker's setkey
// hook does, so a container with any keeps containerd's order: ADD, then
// create. Either failing fails the whole; the caller undoes both (a run
// created, an address held), as it does for either alone.
// A container with a user namespace of its own is the exception: the
// runtime makes its namespace (see NetworkState.postConfigure), so ADD
// comes after runc create, and its hooks run before it has an address.
export async function connectAndLaunch(c: ManagedContainer, launch: () => Promise<ProcessRun>): Promise<ProcessRun> {
  const net = c.network;
  if (net?.postConfigure === true) {
    const run = await launch();
    await c.ctx.networks.bindRun(c.paths.dir, net, run.pid);
    await connectRun(c);
    return run;
  }
  const h = c.createdWith.hooks;
  const hooked = h !== undefined && (h.prestart.length > 0 || h.createRuntime.length > 0 || h.createContainer.length > 0);
  if (c.network?.mode !== "bridge" || hooked) {
    await connectRun(c);
    return launch();
  }
  const [connected, launched] = await Promise.allSettled([connectRun(c), launch()]);
  if (connected.status === "rejected") throw connected.reason;
  if (launched.status === "rejected") throw launched.reason;
  return launched.value;
}

// disconnectRun gives the address back; the caller holds the queue.
export async function disconnectRun(c: ManagedContainer): Promise<void> {
  if (c.network !== undefined) await c.ctx.networks.disconnect(c.paths.dir, c.network);
}

// disconnectAfterExit gives the address of the run that just ended back,
// in the container's queue. A new run begun meanwhile (a Restart, whose
// run keeps the address) is left alone.
export function disconnectAfterExit(c: ManagedContainer): void {
  if (c.network?.attached === undefined) return;
  const run = c.runBeganAtMs;
  c.queue
    .run(async () => {
      if (c.removed || c.ctx.closed || c.runBeganAtMs !== run || !c.init.state.is("stopped")) return;
      await disconnectRun(c);
    })
    .catch(c.ctx.reportError);
}
