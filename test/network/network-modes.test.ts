// Network modes: none is loopback only (as before networks), host sees
// the host's interfaces, bridge gets the files berth writes (/etc/hosts
// with its own name, resolv.conf with the servers given, /etc/hostname).
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { until } from "../fixtures/until.js";
import { addressOf, networkLeftovers, run, startNetDaemon, type NetDaemon } from "./net-fixture.js";

const SLEEP = ["sleep", "600"];

describe("network modes", { timeout: 120_000 }, () => {
  let d: NetDaemon;
  let client: Client;

  beforeAll(async () => {
    d = await startNetDaemon("modes");
    client = await GrpcClient.connect({ socketPath: d.td.socketPath, namespace: d.td.namespace });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await d?.stop();
  });

  it("none has loopback only", async () => {
    const id = d.td.id("none");
    const c = await client.create(id, { process: { args: SLEEP }, network: "none" });
    try {
      expect(c.networkMode).toBe("none");
      expect(c.networks).toEqual([]);
      const links = await run(client, id, ["ip", "-o", "link"]);
      expect(links.output.trim().split("\n").map((l) => l.split(":")[1]!.trim())).toEqual(["lo"]);
    } finally {
      await client.delete(id, { force: true });
    }
  });

  it("host sees the host's interfaces and has no address of its own", async () => {
    const id = d.td.id("host");
    const c = await client.create(id, { process: { args: SLEEP }, network: "host" });
    try {
      expect(c.networkMode).toBe("host");
      expect(c.networks).toEqual([]);
      // Other suites add and remove veths meanwhile: the interfaces judged
      // are those the host had both before and after the container looked.
      const before = Object.keys(networkInterfaces());
      const links = await run(client, id, ["ip", "-o", "link"]);
      const stable = before.filter((name) => name in networkInterfaces());
      expect(stable).toContain("lo");
      // `ip -o link` names a veth "name@peer:".
      const seen = [...links.output.matchAll(/^\d+: ([^:@\s]+)[@:]/gm)].map((m) => m[1]);
      expect(seen).toEqual(expect.arrayContaining(stable));
      expect((await run(client, id, ["cat", "/etc/hosts"])).output).toBe(readFileSync("/etc/hosts", "utf8"));
    } finally {
      await client.delete(id, { force: true });
    }
  });

  it("bridge writes hosts, resolv.conf and hostname into the container", async () => {
    const id = d.td.id("files");
    const c = await client.create(id, { process: { args: SLEEP }, hostname: "web-one", dnsServers: ["10.1.2.3", "fd00::53"] });
    const address = addressOf(c.networks[0]!.ipv4Address);
    try {
      const hosts = (await run(client, id, ["cat", "/etc/hosts"])).output;
      expect(hosts).toContain("127.0.0.1\tlocalhost");
      expect(hosts).toContain(`${address}\tweb-one ${id}`);
      const resolv = (await run(client, id, ["cat", "/etc/resolv.conf"])).output;
      expect(resolv).toMatch(/^nameserver 10\.1\.2\.3\nnameserver fd00::53\n/);
      expect((await run(client, id, ["cat", "/etc/hostname"])).output).toBe("web-one\n");
      expect((await run(client, id, ["hostname"])).output).toBe("web-one\n");
      // lo is up in the namespace berth made (runc does that only in its own).
      await until(async () => (await run(client, id, ["ping", "-c", "1", "-W", "1", "127.0.0.1"])).exitCode === 0, "loopback to answer");
    } finally {
      await client.delete(id, { force: true });
    }
    expect(networkLeftovers(d.td.stateDir, d.net, [address])).toEqual([]);
  });
});
