// A Create on a daemon armed to SIGKILL itself at a failpoint, then the
// next daemon on the same state directory: the Create is undone, and
// nothing of its network is left on the host (see networkLeftovers).
import { expect } from "vitest";

import type { CreateOptions } from "../../src/client/client.js";
import type { DaemonPlace, DaemonProcess } from "../durability/daemon-process.js";
import type { TestNetwork } from "../fixtures/test-network.js";
import { networkLeftovers } from "./net-fixture.js";

export interface CrashedCreate {
  place: DaemonPlace;
  net: TestNetwork;
  // start starts a daemon of the suite's, armed at failpoint when given.
  start(failpoint?: string): Promise<DaemonProcess>;
  // running hears of each daemon started, for the suite to stop it.
  running(daemon: DaemonProcess | undefined): void;
}

export async function expectCrashedCreateUndone(s: CrashedCreate, failpoint: string, options: CreateOptions): Promise<void> {
  let daemon = await s.start(failpoint);
  s.running(daemon);
  const id = s.place.id("c");
  const client = await daemon.client();
  await expect(client.create(id, options)).rejects.toThrow();
  expect((await daemon.exited).signal).toBe("SIGKILL");
  await client.close().catch(() => {});
  // The killed daemon left its work half done on the host.
  const cniId = `${s.place.namespace.length}.${s.place.namespace}.${id}`;
  daemon = await s.start();
  s.running(daemon);
  const again = await daemon.client();
  try {
    expect((await again.list()).map((c) => c.id)).not.toContain(id);
  } finally {
    await again.close();
  }
  expect(networkLeftovers(s.place.stateDir, s.net, [cniId, `id: "${cniId}"`])).toEqual([]);
  await daemon.kill("SIGTERM");
  s.running(undefined);
}
