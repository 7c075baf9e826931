// What the rig suites share: a test daemon whose default network is a
// bridge of the suite's own in 10.231.0.0/16 (apart from the other suites'
// 10.192.0.0/11 and berth's 10.87.0.0/16), and clients of both kinds.
import { createHash } from "node:crypto";

import type { Client } from "../../src/client/client.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { removeBridge } from "../../src/network/bridge-cleanup.js";
import { defaultNetworkOf, hostSubnets, type TestNetwork } from "../fixtures/test-network.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

export interface RigDaemon {
  td: TestDaemon;
  net: TestNetwork;
  local: Client;
  grpc: Client;
  stop(): Promise<void>;
}

export async function startRigDaemon(suite: string): Promise<RigDaemon> {
  const net = rigNetwork(suite);
  const td = await startTestDaemon(suite, { network: defaultNetworkOf(net) });
  const local = await td.remote.client(undefined, { namespace: td.namespace });
  const grpc = await GrpcClient.connect({ socketPath: td.socketPath, namespace: td.namespace });
  return {
    td,
    net,
    local,
    grpc,
    async stop() {
      await local.close();
      await grpc.close();
      try {
        await td.stop();
      } finally {
        await removeBridge(net.bridge);
      }
    },
  };
}

// rigNetwork is a /24 of 10.231.0.0/16 no route of the host's overlaps,
// picked from the suite and the process.
function rigNetwork(suite: string): TestNetwork {
  const used = hostSubnets();
  for (let n = 0; ; n++) {
    const hash = createHash("sha256").update(`${suite}/${process.pid}/${n}`).digest();
    const prefix = `10.231.${hash[0]!}`;
    if (used.has(prefix)) continue;
    return { name: `rig-${suite}-${process.pid.toString(36)}`, bridge: `br${hash.subarray(1, 7).toString("hex")}`.slice(0, 15), subnet: `${prefix}.0/24`, prefix };
  }
}
