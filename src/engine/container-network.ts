// A container's network across its runs: CNI ADD before each run starts
// (its address and published ports), DEL once the run has ended, so a
// stopped container holds no address, as with Docker and Podman. The
// namespace itself lives as long as the container (see NetworkManager).
import type { ManagedContainer } from "./managed-container.js";

// connectRun gives the run about to start its address; the caller holds
// the queue.
export async function connectRun(c: ManagedContainer): Promise<void> {
  if (c.network !== undefined) await c.ctx.networks.connect(c.paths.dir, c.network);
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
