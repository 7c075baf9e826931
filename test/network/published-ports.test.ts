// Published ports through portmap, through both clients: a busybox httpd
// on 127.0.0.1 with a host port the daemon picks, a UDP echo through a
// published UDP port, and the mistakes a port binding can be (a bad one,
// one with network none or host, one already taken), each leaving
// nothing of the container behind.
import { createServer, type Server } from "node:net";
import { createSocket } from "node:dgram";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { until } from "../fixtures/until.js";
import { addressOf, networkLeftovers, startNetDaemon, type NetDaemon } from "./net-fixture.js";

const HTTPD = ["sh", "-c", "mkdir -p /www && echo served-from-the-container > /www/index.html && exec httpd -f -p 80 -h /www"];
// A UDP echo server: the host's node, run through its own loader from a
// read-only bind of /usr (busybox's nc here has no UDP).
const [MULTIARCH, LOADER] = process.arch === "arm64" ? ["aarch64-linux-gnu", "ld-linux-aarch64.so.1"] : ["x86_64-linux-gnu", "ld-linux-x86-64.so.2"];
const UDP_ECHO = [
  `/host-usr/lib/${MULTIARCH}/${LOADER}`,
  "--library-path",
  `/host-usr/lib/${MULTIARCH}`,
  "/host-usr/bin/node",
  "-e",
  "const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address)); s.bind(5353);",
];

describe("published ports", { timeout: 120_000 }, () => {
  let d: NetDaemon;
  const clients: Array<[string, Client]> = [];

  beforeAll(async () => {
    d = await startNetDaemon("ports");
    clients.push(["LocalClient", await d.td.remote.client(undefined, { namespace: d.td.namespace })]);
    clients.push(["GrpcClient", await GrpcClient.connect({ socketPath: d.td.socketPath, namespace: d.td.namespace })]);
  }, 60_000);

  afterAll(async () => {
    for (const [, c] of clients) await c.close();
    await d?.stop();
  });

  const each = (name: string, fn: (client: Client) => Promise<void>) => {
    it.each(["LocalClient", "GrpcClient"])(`${name} (%s)`, async (which) => fn(clients.find(([n]) => n === which)![1]));
  };

  each("serves a file from httpd published on 127.0.0.1 with a host port the daemon picks", async (client) => {
    const id = d.td.id("web");
    const created = await client.create(id, { process: { args: HTTPD }, ports: [{ hostIp: "127.0.0.1", hostPort: 0, containerPort: 80 }] });
    const marks = [addressOf(created.networks[0]!.ipv4Address)];
    try {
      expect(created.networkMode).toBe("bridge");
      expect(created.networks).toHaveLength(1);
      const a = created.networks[0]!;
      expect(a.network).toBe(d.net.name);
      expect(a.ipv4Address.startsWith(`${d.net.prefix}.`)).toBe(true);
      expect(a.ipv4Gateway).toBe(`${d.net.prefix}.1`);
      expect(a.macAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      const port = created.ports[0]!;
      expect(port).toMatchObject({ hostIp: "127.0.0.1", containerPort: 80, protocol: "tcp" });
      expect(port.hostPort).toBeGreaterThan(0);
      let body = "";
      await until(async () => {
        body = await fetch(`http://127.0.0.1:${port.hostPort}/index.html`).then((r) => r.text(), () => "");
        return body !== "";
      }, "httpd to answer through the published port", 20_000);
      expect(body).toBe("served-from-the-container\n");
      // State and Inspect say the same; the config keeps what was asked.
      expect((await client.state(id)).ports[0]!.hostPort).toBe(port.hostPort);
      const inspected = await client.inspect(id);
      expect(inspected.container.networks[0]!.ipv4Address).toBe(a.ipv4Address);
      expect(inspected.config.ports[0]).toMatchObject({ hostIp: "127.0.0.1", hostPort: 0, containerPort: 80, protocol: "tcp" });
    } finally {
      await client.delete(id, { force: true });
    }
    expect(networkLeftovers(d.td.stateDir, d.net, marks)).toEqual([]);
  });

  each("echoes UDP through a published UDP port", async (client) => {
    const id = d.td.id("udp");
    const created = await client.create(id, {
      process: { args: UDP_ECHO },
      mounts: [{ source: "/usr", destination: "/host-usr", readOnly: true }],
      ports: [{ hostIp: "127.0.0.1", hostPort: 0, containerPort: 5353, protocol: "udp" }],
    });
    try {
      const port = created.ports[0]!.hostPort;
      const socket = createSocket("udp4");
      let reply = "";
      socket.on("message", (m) => (reply = m.toString()));
      try {
        await until(async () => {
          socket.send("ping", port, "127.0.0.1");
          await new Promise((r) => setTimeout(r, 100));
          return reply !== "";
        }, "the UDP echo", 20_000);
      } finally {
        socket.close();
      }
      expect(reply).toBe("echo:ping");
    } finally {
      await client.delete(id, { force: true });
    }
    expect(networkLeftovers(d.td.stateDir, d.net, [])).toEqual([]);
  });

  each("refuses a port taken by another process, naming it, and leaves nothing", async (client) => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const taken = (server.address() as { port: number }).port;
    try {
      const id = d.td.id("taken");
      const create = client.create(id, { process: { args: ["sleep", "60"] }, ports: [{ hostIp: "127.0.0.1", hostPort: taken, containerPort: 80 }] });
      expect(await codeOf(create)).toBe("already_exists");
      expect(await messageOf(client.create(id, { process: { args: ["sleep", "60"] }, ports: [{ hostIp: "127.0.0.1", hostPort: taken, containerPort: 80 }] }))).toContain(`127.0.0.1:${taken}/tcp`);
      expect(await codeOf(client.state(id))).toBe("not_found");
    } finally {
      server.close();
    }
    expect(networkLeftovers(d.td.stateDir, d.net, [])).toEqual([]);
  });

  each("refuses a port another container publishes", async (client) => {
    const a = d.td.id("first");
    const first = await client.create(a, { process: { args: ["sleep", "60"] }, ports: [{ hostIp: "127.0.0.1", containerPort: 80 }] });
    try {
      const port = first.ports[0]!.hostPort;
      const b = d.td.id("second");
      const msg = await messageOf(client.create(b, { process: { args: ["sleep", "60"] }, ports: [{ hostPort: port, containerPort: 80 }] }));
      expect(msg).toContain(`${port}/tcp`);
      expect(msg).toContain(a);
    } finally {
      await client.delete(a, { force: true });
    }
    expect(networkLeftovers(d.td.stateDir, d.net, [])).toEqual([]);
  });

  each("is INVALID_ARGUMENT for a bad binding, or a binding with network none or host", async (client) => {
    const id = d.td.id("bad");
    const sleep = { args: ["sleep", "60"] };
    expect(await codeOf(client.create(id, { process: sleep, ports: [{ containerPort: 0 }] }))).toBe("invalid_argument");
    expect(await codeOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, protocol: "sctp" }] }))).toBe("invalid_argument");
    expect(await codeOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, hostIp: "localhost" }] }))).toBe("invalid_argument");
    expect(await codeOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, hostPort: 70000 }] }))).toBe("invalid_argument");
    // Addresses portmap can never forward from, or that this network has no family for.
    expect(await messageOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, hostIp: "::1" }] }))).toMatch(/IPv6 loopback.*use 127\.0\.0\.1/);
    expect(await messageOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, hostIp: "224.0.0.1", protocol: "udp" }] }))).toMatch(/multicast/);
    expect(await messageOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, hostIp: "fe80::1" }] }))).toMatch(/has no IPv6 subnet/);
    expect(await messageOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, hostIp: "192.0.2.1" }] }))).toMatch(/not an address of this host/);
    const dup = [{ containerPort: 80, hostPort: 40999 }, { containerPort: 81, hostIp: "127.0.0.1", hostPort: 40999 }];
    expect(await messageOf(client.create(id, { process: sleep, ports: dup }))).toMatch(/ports\[1\] and ports\[0\] both publish/);
    expect(await codeOf(client.create(id, { process: sleep, ports: [{ containerPort: 80, hostPort: 40999 }, { containerPort: 81, hostIp: "0.0.0.0", hostPort: 40999 }] }))).toBe("invalid_argument");
    expect(await messageOf(client.create(id, { process: sleep, network: "none", ports: [{ containerPort: 80 }] }))).toMatch(/network none/);
    expect(await messageOf(client.create(id, { process: sleep, network: "host", ports: [{ containerPort: 80 }] }))).toMatch(/network host/);
    expect(await codeOf(client.create(id, { process: sleep, network: "no-such-network" }))).toBe("not_found");
    expect(await codeOf(client.state(id))).toBe("not_found");
    expect(networkLeftovers(d.td.stateDir, d.net, [])).toEqual([]);
  });
});
