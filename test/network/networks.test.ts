// Networks as resources, through both clients: create, list, inspect,
// remove (refused while containers are attached, unless forced), their
// events; containers on one network reach each other by address and by
// name, and a container on another network cannot reach them.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { EventType, type Event } from "../../src/client/types.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { until } from "../fixtures/until.js";
import { iptablesRules } from "../helpers/test-daemon.js";
import { addressOf, networkLeftovers, run, startNetDaemon, type NetDaemon } from "./net-fixture.js";

const HTTPD = ["sh", "-c", "mkdir -p /www && echo from-b > /www/index.html && exec httpd -f -p 80 -h /www"];
// busybox wget -T segfaults in Debian's static build; timeout bounds it instead.
const SLEEP = ["sleep", "600"];

describe("networks", { timeout: 120_000 }, () => {
  let d: NetDaemon;
  const clients: Record<string, Client> = {};

  beforeAll(async () => {
    d = await startNetDaemon("nets");
    clients["LocalClient"] = await d.td.remote.client(undefined, { namespace: d.td.namespace });
    clients["GrpcClient"] = await GrpcClient.connect({ socketPath: d.td.socketPath, namespace: d.td.namespace });
  }, 60_000);

  afterAll(async () => {
    for (const c of Object.values(clients)) await c.close();
    await d?.stop();
  });

  it.each(["LocalClient", "GrpcClient"])("creates, lists, inspects and removes a network, with its events (%s)", async (which) => {
    const client = clients[which]!;
    const n = d.extra();
    const events: Event[] = [];
    const stop = new AbortController();
    const watching = (async () => {
      for await (const e of client.subscribe({ signal: stop.signal })) events.push(e);
    })().catch(() => {});
    const made = await client.createNetwork({ name: n.name, subnet: n.subnet, bridge: n.bridge });
    expect(made).toMatchObject({ name: n.name, subnet: n.subnet, gateway: `${n.prefix}.1`, bridge: n.bridge, isDefault: false });
    expect(await codeOf(client.createNetwork({ name: n.name, subnet: n.subnet }))).toBe("already_exists");
    const listed = await client.listNetworks();
    expect(listed.map((x) => x.name)).toContain(n.name);
    expect(listed.find((x) => x.isDefault)?.name).toBe(d.net.name);
    const id = d.td.id("member");
    const c = await client.create(id, { process: { args: SLEEP }, network: n.name });
    const inspected = await client.inspectNetwork(n.name);
    expect(inspected.endpoints.map((e) => e.containerId)).toEqual([id]);
    expect(inspected.endpoints[0]!.attachment?.ipv4Address).toBe(c.networks[0]!.ipv4Address);
    const refused = await messageOf(client.removeNetwork(n.name));
    expect(refused).toContain(id);
    expect(await codeOf(client.removeNetwork(n.name))).toBe("failed_precondition");
    // Forced: the container is disconnected first, and stays.
    await client.removeNetwork(n.name, { force: true });
    expect((await client.state(id)).networks).toEqual([]);
    expect(await codeOf(client.inspectNetwork(n.name))).toBe("not_found");
    await client.delete(id, { force: true });
    await until(() => events.some((e) => e.type === EventType.NETWORK_REMOVE), "the network-remove event");
    stop.abort();
    await watching;
    const mine = events.filter((e) => e.network === n.name).map((e) => EventType[e.type]);
    expect(mine).toEqual(["NETWORK_CREATE", "NETWORK_CONNECT", "NETWORK_DISCONNECT", "NETWORK_REMOVE"]);
    expect(events.find((e) => e.type === EventType.NETWORK_CONNECT)?.address).toBe(c.networks[0]!.ipv4Address);
    expect(networkLeftovers(d.td.stateDir, n, [addressOf(c.networks[0]!.ipv4Address)])).toEqual([]);
  });

  it("is INVALID_ARGUMENT for a bad network, and refuses to remove the default one", async () => {
    const client = clients["GrpcClient"]!;
    expect(await codeOf(client.createNetwork({ name: "x y", subnet: "10.9.9.0/24" }))).toBe("invalid_argument");
    expect(await codeOf(client.createNetwork({ name: "none", subnet: "10.9.9.0/24" }))).toBe("invalid_argument");
    expect(await messageOf(client.createNetwork({ name: "nosubnet" }))).toMatch(/subnet is required/);
    expect(await messageOf(client.createNetwork({ name: "hostbits", subnet: "10.9.9.1/24" }))).toMatch(/did you mean 10\.9\.9\.0\/24/);
    expect(await codeOf(client.createNetwork({ name: "gw", subnet: "10.9.9.0/24", gateway: "10.9.8.1" }))).toBe("invalid_argument");
    expect(await codeOf(client.createNetwork({ name: "overlap", subnet: d.net.subnet }))).toBe("failed_precondition");
    expect(await codeOf(client.removeNetwork(d.net.name))).toBe("invalid_argument");
    expect(await codeOf(client.removeNetwork("never-made"))).toBe("not_found");
  });

  it("lets containers on one network reach each other by address and by name, and not from another network", async () => {
    const client = clients["LocalClient"]!;
    const other = d.extra();
    await client.createNetwork({ name: other.name, subnet: other.subnet, bridge: other.bridge });
    const a = d.td.id("a");
    const b = d.td.id("b");
    const c = d.td.id("c");
    const marks: string[] = [];
    try {
      const bInfo = await client.create(b, { process: { args: HTTPD } });
      await client.create(a, { process: { args: SLEEP } });
      const cInfo = await client.create(c, { process: { args: SLEEP }, network: other.name });
      const bAddress = addressOf(bInfo.networks[0]!.ipv4Address);
      marks.push(bAddress, addressOf(cInfo.networks[0]!.ipv4Address));
      let byAddress = { exitCode: -1, output: "" };
      await until(async () => {
        byAddress = await run(client, a, ["timeout", "3", "wget", "-q", "-O", "-", `http://${bAddress}/index.html`]);
        return byAddress.exitCode === 0;
      }, () => `a to fetch from b by address (${byAddress.exitCode}: ${byAddress.output})`, 20_000);
      expect(byAddress.output).toBe("from-b\n");
      // By name, through the hosts file berth keeps.
      const byName = await run(client, a, ["timeout", "3", "wget", "-q", "-O", "-", `http://${b}/index.html`]);
      expect(byName).toEqual({ exitCode: 0, output: "from-b\n" });
      expect((await run(client, a, ["cat", "/etc/hosts"])).output).toContain(`${bAddress}\t${b}`);
      // From the other network: nothing gets through.
      const blocked = await run(client, c, ["timeout", "3", "wget", "-q", "-O", "-", `http://${bAddress}/index.html`]);
      expect(blocked.exitCode).not.toBe(0);
      expect((await run(client, c, ["cat", "/etc/hosts"])).output).not.toContain(b);
    } finally {
      for (const id of [a, b, c]) await client.delete(id, { force: true }).catch(() => {});
      await client.removeNetwork(other.name, { force: true });
    }
    expect(networkLeftovers(d.td.stateDir, d.net, marks)).toEqual([]);
    expect(networkLeftovers(d.td.stateDir, other, marks)).toEqual([]);
  });

  it("puts a network's isolation rules back at its next container's start when they were taken off the host, and keeps them otherwise", async () => {
    const client = clients["LocalClient"]!;
    const n = d.extra();
    await client.createNetwork({ name: n.name, subnet: n.subnet, bridge: n.bridge });
    const ids = [d.td.id("iso1"), d.td.id("iso2"), d.td.id("iso3")];
    const comment = ["-m", "comment", "--comment", "CNI firewall plugin rules (ingressPolicy: same-bridge)"];
    const rules = [
      ["CNI-ISOLATION-STAGE-1", "-i", n.bridge, "!", "-o", n.bridge, ...comment, "-j", "CNI-ISOLATION-STAGE-2"],
      ["CNI-ISOLATION-STAGE-2", "-o", n.bridge, ...comment, "-j", "DROP"],
    ];
    // As iptables-save prints them: the comment quoted.
    const saved = rules.map((r) => `-A ${r.join(" ")}`.replace(`--comment ${comment[3]}`, `--comment "${comment[3]}"`));
    const present = () => saved.map((r) => iptablesRules().includes(r));
    // What each container's firewall ADD was given, from the daemon's CNI cache.
    const policyOf = (id: string) => {
      const cached = JSON.parse(readFileSync(join(d.td.stateDir, "cni", "results", `${n.name}-${d.td.namespace.length}.${d.td.namespace}.${id}-eth0`), "utf8")) as { config: { plugins: Array<Record<string, unknown>> } };
      return cached.config.plugins.find((p) => p["type"] === "firewall")?.["ingressPolicy"];
    };
    try {
      await client.create(ids[0]!, { process: { args: SLEEP }, network: n.name });
      expect(present()).toEqual([true, true]);
      expect(policyOf(ids[0]!)).toBe("same-bridge");
      // Found in place: the next container's firewall ADD skips them.
      await client.create(ids[1]!, { process: { args: SLEEP }, network: n.name });
      expect(present()).toEqual([true, true]);
      expect(policyOf(ids[1]!)).toBeUndefined();
      for (const r of rules) execFileSync("iptables", ["-w", "-t", "filter", "-D", ...r]);
      expect(present()).toEqual([false, false]);
      await client.create(ids[2]!, { process: { args: SLEEP }, network: n.name });
      expect(present()).toEqual([true, true]);
      expect(policyOf(ids[2]!)).toBe("same-bridge");
    } finally {
      for (const id of ids) await client.delete(id, { force: true }).catch(() => {});
      await client.removeNetwork(n.name, { force: true });
    }
    expect(present()).toEqual([false, false]);
  });

  it("masquerades a network's subnet through one nat chain of its own, made by its first container, kept by the next, rebuilt when taken off the host, gone with the network; an internal network has none", async () => {
    const client = clients["GrpcClient"]!;
    const n = d.extra();
    const inner = d.extra();
    await client.createNetwork({ name: n.name, subnet: n.subnet, bridge: n.bridge });
    await client.createNetwork({ name: inner.name, subnet: inner.subnet, bridge: inner.bridge, internal: true });
    const chain = `BERTH-MASQ-${n.bridge}`;
    const expected = [
      `-A POSTROUTING -s ${n.subnet} -m comment --comment "berth network ${n.name}" -j ${chain}`,
      `-A ${chain} -d ${n.subnet} -j ACCEPT`,
      `-A ${chain} ! -d 224.0.0.0/4 -j MASQUERADE`,
    ];
    const rulesOf = (bridge: string) => iptablesRules().filter((r) => r.includes(`BERTH-MASQ-${bridge}`));
    const ids = [d.td.id("masq1"), d.td.id("masq2"), d.td.id("masq3"), d.td.id("masqin")];
    const addresses: string[] = [];
    try {
      expect(rulesOf(n.bridge)).toEqual([]);
      addresses.push(addressOf((await client.create(ids[0]!, { process: { args: SLEEP }, network: n.name })).networks[0]!.ipv4Address));
      expect(rulesOf(n.bridge)).toEqual(expected);
      addresses.push(addressOf((await client.create(ids[1]!, { process: { args: SLEEP }, network: n.name })).networks[0]!.ipv4Address));
      expect(rulesOf(n.bridge)).toEqual(expected);
      // No rule of the container's own: the bridge plugin masquerades nothing.
      expect(iptablesRules().filter((r) => addresses.some((a) => r.includes(`${a} `) || r.includes(`${a}/`)) && r.includes("MASQUERADE"))).toEqual([]);
      execFileSync("iptables", ["-w", "-t", "nat", "-F", chain]);
      addresses.push(addressOf((await client.create(ids[2]!, { process: { args: SLEEP }, network: n.name })).networks[0]!.ipv4Address));
      expect(rulesOf(n.bridge)).toEqual(expected);
      await client.create(ids[3]!, { process: { args: SLEEP }, network: inner.name });
      expect(rulesOf(inner.bridge)).toEqual([]);
    } finally {
      for (const id of ids) await client.delete(id, { force: true }).catch(() => {});
      await client.removeNetwork(n.name, { force: true });
      await client.removeNetwork(inner.name, { force: true });
    }
    expect(rulesOf(n.bridge)).toEqual([]);
    expect(execFileSync("iptables-save", ["-t", "nat"], { encoding: "utf8" })).not.toContain(chain);
    expect(networkLeftovers(d.td.stateDir, n, addresses)).toEqual([]);
  });

  it.each(["LocalClient", "GrpcClient"])("gives a container on a network with an IPv6 subnet a v6 address, reported and reachable (%s)", async (which) => {
    const client = clients[which]!;
    const n = d.extra();
    // The suite's own ULA range, derived from its IPv4 one (10.a.b).
    const [, a, b] = n.prefix.split(".").map(Number);
    const ula = `fd6e:${a!.toString(16)}:${b!.toString(16)}`;
    const v6 = `${ula}::/64`;
    // The bridge plugin turns IPv6 forwarding on host-wide (README,
    // Networks); the test gives the host back the value it had.
    const forwarding = "/proc/sys/net/ipv6/conf/all/forwarding";
    const forwardingWas = readFileSync(forwarding, "utf8").trim();
    const made = await client.createNetwork({ name: n.name, subnet: n.subnet, bridge: n.bridge, ipv6Subnet: v6 });
    const gw6 = `${ula}::1`;
    expect(made).toMatchObject({ ipv6Subnet: v6, ipv6Gateway: gw6 });
    const id = d.td.id("v6");
    let address6 = "";
    try {
      const c = await client.create(id, { process: { args: HTTPD }, network: n.name });
      const att = c.networks[0]!;
      expect(att.ipv4Address.startsWith(`${n.prefix}.`)).toBe(true);
      expect(att.ipv6Address).toMatch(new RegExp(`^${ula}::[0-9a-f:]+/64$`));
      expect(att.ipv6Gateway).toBe(gw6);
      address6 = addressOf(att.ipv6Address);
      expect((await client.state(id)).networks[0]!.ipv6Address).toBe(att.ipv6Address);
      expect((await client.inspect(id)).container.networks[0]!.ipv6Address).toBe(att.ipv6Address);
      expect((await client.inspectNetwork(n.name)).endpoints[0]!.attachment?.ipv6Address).toBe(att.ipv6Address);
      // The container holds the address on eth0 (once duplicate address
      // detection is done, it answers on it).
      expect((await run(client, id, ["ip", "-6", "addr", "show", "dev", "eth0"])).output).toContain(att.ipv6Address);
      let body = "";
      await until(async () => {
        body = await fetch(`http://[${address6}]:80/index.html`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text(), () => "");
        return body !== "";
      }, "httpd to answer on the container's IPv6 address", 20_000);
      expect(body).toBe("from-b\n");
    } finally {
      await client.delete(id, { force: true }).catch(() => {});
      await client.removeNetwork(n.name, { force: true });
      writeFileSync(forwarding, forwardingWas);
    }
    expect(networkLeftovers(d.td.stateDir, n, [address6])).toEqual([]);
  });

  it.each(["LocalClient", "GrpcClient"])("announces connect when a run gets its address and disconnect when it gives it back: Create, Stop, Start, Delete, and a Create that fails after the ADD (%s)", async (which) => {
    const client = clients[which]!;
    const id = d.td.id("ev");
    const failed = d.td.id("evfail");
    const events: Event[] = [];
    const stop = new AbortController();
    // since: replayed from the journal, so no event is missed while the
    // subscription is being set up.
    const since = new Date();
    const watching = (async () => {
      for await (const e of client.subscribe({ since, containerIds: [id, failed], types: [EventType.NETWORK_CONNECT, EventType.NETWORK_DISCONNECT], signal: stop.signal })) events.push(e);
    })().catch(() => {});
    const seen = (n: number, what: string) => until(() => events.length >= n, () => `${what} (events so far: ${events.map((e) => EventType[e.type]).join(", ")})`);
    const addresses: string[] = [];
    try {
      const first = await client.create(id, { process: { args: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"] } });
      addresses.push(first.networks[0]!.ipv4Address);
      await seen(1, "connect at Create");
      await client.stop(id, { timeoutSeconds: 5 });
      await seen(2, "disconnect after the run ended");
      const again = await client.start(id);
      addresses.push(again.networks[0]!.ipv4Address);
      await seen(3, "connect at Start");
      await client.delete(id, { force: true });
      await seen(4, "disconnect at Delete");
      // A createRuntime hook that fails runs after the ADD: the Create is
      // undone, its address given back and announced so.
      expect(await codeOf(client.create(failed, { process: { args: SLEEP }, hooks: { createRuntime: [{ path: "/bin/false" }] } }))).toBe("failed_precondition");
      await seen(6, "connect and disconnect of the failed Create");
    } finally {
      await client.delete(id, { force: true }).catch(() => {});
      stop.abort();
      await watching;
    }
    const mine = events.map((e) => [e.containerId, EventType[e.type], e.network]);
    expect(mine).toEqual([
      [id, "NETWORK_CONNECT", d.net.name],
      [id, "NETWORK_DISCONNECT", d.net.name],
      [id, "NETWORK_CONNECT", d.net.name],
      [id, "NETWORK_DISCONNECT", d.net.name],
      [failed, "NETWORK_CONNECT", d.net.name],
      [failed, "NETWORK_DISCONNECT", d.net.name],
    ]);
    expect(events.slice(0, 4).map((e) => e.address)).toEqual([addresses[0], addresses[0], addresses[1], addresses[1]]);
    expect(events[5]!.address).toBe(events[4]!.address);
    expect(events[4]!.address.startsWith(`${d.net.prefix}.`)).toBe(true);
    expect(networkLeftovers(d.td.stateDir, d.net, [...addresses, events[4]!.address].map(addressOf))).toEqual([]);
  });

  it("runs a createRuntime hook after the CNI ADD: the hook finds the container's address in its hosts file (runc create waits for the ADD when hooks run in it)", async () => {
    const client = clients["GrpcClient"]!;
    const id = d.td.id("hookadd");
    const hosts = join(d.td.stateDir, "containers", d.td.namespace, id, "etc", "hosts");
    let address = "";
    try {
      // grep fails the hook, and so the Create, unless the address is there.
      const c = await client.create(id, { process: { args: SLEEP }, hooks: { createRuntime: [{ path: "/bin/grep", args: ["grep", "-q", `${d.net.prefix}.`, hosts] }] } });
      address = addressOf(c.networks[0]!.ipv4Address);
      expect(address.startsWith(`${d.net.prefix}.`)).toBe(true);
    } finally {
      await client.delete(id, { force: true }).catch(() => {});
    }
    expect(networkLeftovers(d.td.stateDir, d.net, [address])).toEqual([]);
  });

  it("gives a stopped container's address back and a new one at its next start", async () => {
    const client = clients["GrpcClient"]!;
    const id = d.td.id("stopstart");
    const first = await client.create(id, { process: { args: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"] }, ports: [{ hostIp: "127.0.0.1", containerPort: 80 }] });
    const address = addressOf(first.networks[0]!.ipv4Address);
    try {
      await client.stop(id, { timeoutSeconds: 0 });
      await until(async () => (await client.state(id)).networks.length === 0, "the address to be given back");
      expect((await client.state(id)).ports).toEqual([]);
      // Its namespace stays while the container does; nothing else.
      expect(networkLeftovers(d.td.stateDir, d.net, [address]).filter((l) => !l.startsWith("netns mount"))).toEqual([]);
      const again = await client.start(id);
      expect(again.networks).toHaveLength(1);
      expect(again.ports[0]!.hostPort).toBeGreaterThan(0);
    } finally {
      await client.delete(id, { force: true });
    }
    expect(networkLeftovers(d.td.stateDir, d.net, [address])).toEqual([]);
  });
});
