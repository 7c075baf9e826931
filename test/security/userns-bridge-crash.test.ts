// A user-namespaced container on a bridge network across daemon crashes
// (a daemon child process SIGKILLed at a failpoint, then started again on
// the same state directory): a Create killed between runc create and the
// CNI ADD (its namespace bound or not yet), or right after the ADD, is
// undone with nothing of its network left; a running one is adopted, exec
// still joins its network, and its Delete then leaves nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";
import { removeBridge } from "../../src/network/bridge-cleanup.js";
import { builtDist, DaemonProcess, daemonPlace, finish, type DaemonPlace } from "../durability/daemon-process.js";
import { defaultNetworkOf, testNetwork, type TestNetwork } from "../fixtures/test-network.js";
import { expectCrashedCreateUndone } from "../network/crashed-create.js";
import { addressOf, networkLeftovers, run } from "../network/net-fixture.js";

// Apart from the other userns suites' ranges (userns-contract.ts).
const RANGE = "1800000000:262144";
const AUTO = { userns: { mode: UsernsMode.AUTO } };
const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"];

describe("a daemon killed while a user-namespaced bridge container is made or runs", { timeout: 120_000 }, () => {
  let place: DaemonPlace;
  let net: TestNetwork;
  let daemon: DaemonProcess | undefined;
  const start = (failpoint?: string) => DaemonProcess.start(place, { subuidRange: RANGE, network: defaultNetworkOf(net), ...(failpoint !== undefined && { failpoint }) });

  beforeAll(async () => {
    place = daemonPlace("unscrash");
    net = testNetwork("unscrash");
    await builtDist();
  }, 180_000);

  afterAll(async () => {
    try {
      await finish(place, daemon);
    } finally {
      await removeBridge(net.bridge);
    }
  });

  it.each(["network:before-bind", "network:after-bind", "network:after-add", "create:after-network"])("Create killed at %s is undone with nothing of its network left", async (failpoint) => {
    const crash = { place, net, start, running: (d: DaemonProcess | undefined) => (daemon = d) };
    await expectCrashedCreateUndone(crash, failpoint, { security: AUTO, process: { args: SLEEP }, ports: [{ hostIp: "127.0.0.1", containerPort: 80 }] });
  });

  it("a running container is adopted by the next daemon: exec joins its network, and Delete leaves nothing", async () => {
    daemon = await start();
    const id = place.id("runs");
    let client = await daemon.client();
    const c = await client.create(id, { security: AUTO, process: { args: SLEEP }, ports: [{ hostIp: "127.0.0.1", containerPort: 80 }] });
    const address = c.networks[0]!.ipv4Address;
    await client.close();
    await daemon.kill("SIGKILL");
    daemon = await start();
    client = await daemon.client();
    try {
      expect((await client.state(id)).networks[0]?.ipv4Address).toBe(address);
      const inside = await run(client, id, ["sh", "-c", "id -u; ip -o -4 addr show eth0"]);
      expect(inside.exitCode).toBe(0);
      expect(inside.output).toContain(`inet ${address}`);
      expect(inside.output.startsWith("0\n")).toBe(true);
      await client.delete(id, { force: true });
    } finally {
      await client.close();
    }
    expect(networkLeftovers(place.stateDir, net, [addressOf(address)])).toEqual([]);
    await daemon.kill("SIGTERM");
    daemon = undefined;
  });
});
