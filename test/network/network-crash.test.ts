// A daemon SIGKILLed while a container's network is being made (after the
// namespace, after CNI ADD, before the container's process starts), then
// started again: the Create is undone, and nothing of its network is left
// (veth, iptables rule, IPAM reservation, cached result, namespace mount).
// And a container that dies while no daemon runs gives its address and
// ports back when the next daemon starts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EventType, type Event } from "../../src/client/types.js";
import { removeBridge } from "../../src/network/bridge-cleanup.js";
import { builtDist, DaemonProcess, daemonPlace, finish, type DaemonPlace } from "../durability/daemon-process.js";
import { defaultNetworkOf, testNetwork, type TestNetwork } from "../fixtures/test-network.js";
import { until } from "../fixtures/until.js";
import { expectCrashedCreateUndone } from "./crashed-create.js";
import { networkLeftovers } from "./net-fixture.js";

const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"];

describe("a daemon killed while a container's network is made", { timeout: 90_000 }, () => {
  let place: DaemonPlace;
  let net: TestNetwork;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    place = daemonPlace("netcrash");
    net = testNetwork("netcrash");
    await builtDist();
  }, 180_000);

  afterAll(async () => {
    try {
      await finish(place, daemon);
    } finally {
      await removeBridge(net.bridge);
    }
  });

  it.each(["network:after-netns", "network:after-add", "create:after-network"])("Create killed at %s is undone with nothing of its network left", async (failpoint) => {
    const crash = { place, net, start: (fp?: string) => DaemonProcess.start(place, { network: defaultNetworkOf(net), ...(fp !== undefined && { failpoint: fp }) }), running: (d: DaemonProcess | undefined) => (daemon = d) };
    await expectCrashedCreateUndone(crash, failpoint, { process: { args: SLEEP }, ports: [{ hostIp: "127.0.0.1", containerPort: 80 }] });
  });

  it("gives back the address and ports of a container that died while no daemon ran", async () => {
    daemon = await DaemonProcess.start(place, { network: defaultNetworkOf(net) });
    const id = place.id("dies");
    let client = await daemon.client();
    const created = new Date();
    const c = await client.create(id, { process: { args: SLEEP }, ports: [{ hostIp: "127.0.0.1", containerPort: 80 }] });
    const address = c.networks[0]!.ipv4Address.split("/")[0]!;
    await client.close();
    await daemon.kill("SIGKILL");
    process.kill(c.pid, "SIGKILL");
    daemon = await DaemonProcess.start(place, { network: defaultNetworkOf(net) });
    client = await daemon.client();
    try {
      await until(async () => (await client.state(id)).networks.length === 0, "the dead container's address to be given back", 10_000);
      // The restore announces it, from the journal the killed daemon left.
      const gone: Event[] = [];
      const stop = new AbortController();
      const watching = (async () => {
        for await (const e of client.subscribe({ since: created, containerIds: [id], types: [EventType.NETWORK_DISCONNECT], signal: stop.signal })) gone.push(e);
      })().catch(() => {});
      await until(() => gone.length > 0, "the disconnect event of the restore");
      stop.abort();
      await watching;
      expect(gone.map((e) => [e.network, e.address])).toEqual([[net.name, c.networks[0]!.ipv4Address]]);
      expect(networkLeftovers(place.stateDir, net, [address]).filter((l) => !l.startsWith("netns mount"))).toEqual([]);
      await client.delete(id, { force: true });
    } finally {
      await client.close();
    }
    expect(networkLeftovers(place.stateDir, net, [address])).toEqual([]);
  });
});
