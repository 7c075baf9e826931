// A user-namespaced container on a bridge network, against real runc,
// conmon and CNI plugins. runc makes its network namespace inside the new
// user namespace (one the host's user namespace owned could not be
// entered by runc exec from inside it); the daemon binds it at the
// container's netns path after runc create, runs CNI ADD into it, then
// starts the process (Podman's PostConfigureNetNS). So it has its address
// and published ports, exec joins its network, a run started again gets a
// new namespace bound, and a Delete or a failed ADD leaves nothing.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";
import { until } from "../fixtures/until.js";
import { addressOf, networkLeftovers, run, startNetDaemon, type NetDaemon } from "../network/net-fixture.js";

// Apart from the other userns suites' ranges (userns-contract.ts).
const RANGE = { start: 1_700_000_000, count: 4 * 65536 };
const AUTO = { userns: { mode: UsernsMode.AUTO } };
const HTTPD = ["sh", "-c", "mkdir -p /www && echo served-from-userns > /www/index.html && exec httpd -f -p 80 -h /www"];
const SLEEP = ["sleep", "600"];

describe("user namespaces on a bridge network", { timeout: 120_000 }, () => {
  let d: NetDaemon;
  let local: Client;
  let grpc: Client;
  const made = new Set<string>();
  const id = (n: string) => {
    const v = d.td.id(n);
    made.add(v);
    return v;
  };
  // netnsIno is the inode of the namespace bound at the container's netns
  // path (an nsfs inode names the namespace).
  const netnsIno = (cid: string) => statSync(join(d.td.stateDir, "containers", d.td.namespace, cid, "netns")).ino;

  beforeAll(async () => {
    d = await startNetDaemon("uns-bridge", { subuidRange: `${RANGE.start}:${RANGE.count}` });
    local = await d.td.remote.client(undefined, { namespace: d.td.namespace });
    grpc = await GrpcClient.connect({ socketPath: d.td.socketPath, namespace: d.td.namespace });
  }, 60_000);

  afterAll(async () => {
    for (const cid of made) await local.delete(cid, { force: true }).catch(() => {});
    await local?.close();
    await grpc?.close();
    await d?.stop();
  });

  it.each(["LocalClient", "GrpcClient"])("an auto container on the default bridge serves a published port, names its address in /etc/hosts and Inspect, exec joins its network, and Delete leaves nothing (%s)", async (which) => {
    const client = which === "LocalClient" ? local : grpc;
    const cid = id("web");
    const c = await client.create(cid, { security: AUTO, process: { args: HTTPD }, hostname: "uns-web", ports: [{ hostIp: "127.0.0.1", hostPort: 0, containerPort: 80 }] });
    const host = c.userns!.uidMappings[0]!.hostId;
    expect(host).toBeGreaterThanOrEqual(RANGE.start);
    expect(c.networkMode).toBe("bridge");
    const address = addressOf(c.networks[0]!.ipv4Address);
    expect(address.startsWith(`${d.net.prefix}.`)).toBe(true);
    const marks = [address, c.networks[0]!.macAddress];
    try {
      // The namespace runc made, bound where exec, DEL and restore find it.
      expect(netnsIno(cid)).toBe(statSync(`/proc/${c.pid}/ns/net`).ino);
      let body = "";
      await until(async () => {
        body = await fetch(`http://127.0.0.1:${c.ports[0]!.hostPort}/index.html`).then((r) => r.text(), () => "");
        return body !== "";
      }, "httpd to answer through the published port", 20_000);
      expect(body).toBe("served-from-userns\n");
      const inside = await run(client, cid, ["sh", "-c", "id -u; cat /proc/self/uid_map; ip -o -4 addr show eth0; cat /etc/hosts; cat /sys/class/net/eth0/address; ip -o link show lo"]);
      expect(inside.exitCode).toBe(0);
      expect(inside.output).toMatch(new RegExp(`^0\\n\\s*0\\s+${host}\\s+65536\\n`));
      expect(inside.output).toContain(`inet ${c.networks[0]!.ipv4Address}`);
      expect(inside.output).toContain(`${address}\tuns-web ${cid}`);
      // sysfs of its own network namespace (runc could mount it: the
      // namespace is the user namespace's), and loopback up.
      expect(inside.output).toContain(c.networks[0]!.macAddress);
      expect(inside.output).toMatch(/lo: <[^>]*\bUP\b/);
      const inspected = await client.inspect(cid);
      expect(inspected.container.networks[0]!.ipv4Address).toBe(c.networks[0]!.ipv4Address);
      expect(inspected.container.ports[0]!.hostPort).toBe(c.ports[0]!.hostPort);
    } finally {
      await client.delete(cid, { force: true });
      made.delete(cid);
    }
    expect(networkLeftovers(d.td.stateDir, d.net, marks)).toEqual([]);
  });

  it("a stopped container gives its address back, and started again gets its new run's namespace bound and an address in it", async () => {
    const cid = id("again");
    const c = await grpc.create(cid, { security: AUTO, process: { args: SLEEP } });
    const first = netnsIno(cid);
    await grpc.stop(cid, { timeoutSeconds: 1 });
    await until(async () => (await grpc.state(cid)).networks.length === 0, "the stopped container's address to be given back", 10_000);
    const again = await grpc.start(cid);
    expect(again.pid).not.toBe(c.pid);
    expect(netnsIno(cid)).not.toBe(first);
    expect(netnsIno(cid)).toBe(statSync(`/proc/${again.pid}/ns/net`).ino);
    const address = again.networks[0]!.ipv4Address;
    expect(address.startsWith(`${d.net.prefix}.`)).toBe(true);
    const inside = await run(grpc, cid, ["ip", "-o", "-4", "addr", "show", "eth0"]);
    expect(inside.output).toContain(`inet ${address}`);
    await grpc.delete(cid, { force: true });
    made.delete(cid);
    expect(networkLeftovers(d.td.stateDir, d.net, [addressOf(address), addressOf(c.networks[0]!.ipv4Address)])).toEqual([]);
  });

  it("a CNI ADD that fails (a network with no address left) fails the Create, and nothing of the container is left", async () => {
    const net = d.extra();
    // A /30: the gateway and one address, which the first container takes.
    await local.createNetwork({ name: net.name, subnet: `${net.prefix}.0/30`, bridge: net.bridge });
    const full = { ...net, subnet: `${net.prefix}.0/30` };
    const holder = id("holder");
    try {
      await local.create(holder, { network: net.name, process: { args: SLEEP } });
      const cid = id("no-address");
      await expect(local.create(cid, { network: net.name, security: AUTO, process: { args: SLEEP } })).rejects.toThrow(/no IP addresses available/);
      made.delete(cid);
      expect((await local.list()).map((x) => x.id)).not.toContain(cid);
      expect(existsSync(join(d.td.stateDir, "containers", d.td.namespace, cid))).toBe(false);
      const cniId = `${d.td.namespace.length}.${d.td.namespace}.${cid}`;
      const left = networkLeftovers(d.td.stateDir, full, [cniId]);
      expect(left.filter((l) => l.startsWith("iptables") || (l.startsWith("netns mount") && l.includes(cid)))).toEqual([]);
      // The holder's veth, lease and cached ADD are all that is on the network.
      expect(left.filter((l) => !l.startsWith("netns mount")).map((l) => l.split(" ")[0])).toEqual(["veth", "IPAM", "CNI"]);
    } finally {
      await local.delete(holder, { force: true });
      made.delete(holder);
      await local.removeNetwork(net.name);
    }
    expect(networkLeftovers(d.td.stateDir, full, [])).toEqual([]);
  });

  it("runs the same request with network host, and exec joins it", async () => {
    const cid = id("host");
    await local.create(cid, { security: AUTO, network: "host", process: { args: SLEEP } });
    const inside = await run(local, cid, ["sh", "-c", "id -u; cat /proc/self/uid_map"]);
    expect(inside.exitCode).toBe(0);
    expect(inside.output).toMatch(new RegExp(`^0\\n\\s*0\\s+${RANGE.start}\\s+65536`));
    await local.delete(cid, { force: true });
    made.delete(cid);
  });
});
