// What a container naming no network gets when the daemon says otherwise:
// a daemon configured with network none as its default gives loopback only
// (and still joins a named network), and a host without the CNI plugins
// falls back to none with a warning in Info, refusing bridge networks and
// published ports with the install command.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { GrpcClient } from "../../src/client/grpc-client.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { addressOf, networkLeftovers, run, startNetDaemon, type NetDaemon } from "./net-fixture.js";

const SLEEP = ["sleep", "600"];
const linksOf = (output: string) => output.trim().split("\n").map((l) => l.split(":")[1]!.trim());

describe("the default network, by configuration and without the CNI plugins", { timeout: 120_000 }, () => {
  let configured: NetDaemon;
  let bare: NetDaemon;
  let noPlugins: string;
  const clients: Client[] = [];
  let c1: GrpcClient;
  let c2: GrpcClient;

  beforeAll(async () => {
    noPlugins = mkdtempSync(join(tmpdir(), "berth-no-cni-"));
    // The suite's own network, with none made the default by configuration.
    configured = await startNetDaemon("defnone", {}, { defaultNetwork: "none" });
    // The suite's own network as the default, but no plugin to be found.
    bare = await startNetDaemon("nocni", {}, { pluginDirs: [noPlugins] });
    c1 = await GrpcClient.connect({ socketPath: configured.td.socketPath, namespace: configured.td.namespace });
    c2 = await GrpcClient.connect({ socketPath: bare.td.socketPath, namespace: bare.td.namespace });
    clients.push(c1, c2);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.close();
    await configured?.stop();
    await bare?.stop();
    rmSync(noPlugins, { recursive: true, force: true });
  });

  it("gives loopback only to a container naming no network when none is configured as the default, and joins a named network still", async () => {
    const info = await c1.info();
    expect(info.warnings.filter((w) => w.includes("CNI"))).toEqual([]);
    const plain = configured.td.id("plain");
    const joined = configured.td.id("joined");
    let address = "";
    try {
      const p = await c1.create(plain, { process: { args: SLEEP } });
      expect(p.networkMode).toBe("none");
      expect(p.networks).toEqual([]);
      expect(linksOf((await run(c1, plain, ["ip", "-o", "link"])).output)).toEqual(["lo"]);
      expect(await messageOf(c1.create(configured.td.id("ports"), { process: { args: SLEEP }, ports: [{ containerPort: 80 }] }))).toMatch(/network none/);
      const j = await c1.create(joined, { process: { args: SLEEP }, network: configured.net.name });
      expect(j.networkMode).toBe("bridge");
      address = addressOf(j.networks[0]!.ipv4Address);
      expect(address.startsWith(`${configured.net.prefix}.`)).toBe(true);
    } finally {
      for (const id of [plain, joined]) await c1.delete(id, { force: true }).catch(() => {});
    }
    expect(networkLeftovers(configured.td.stateDir, configured.net, [address])).toEqual([]);
  });

  it("falls back to none with a warning in Info on a host without the CNI plugins, and refuses bridge networks and ports saying what to install", async () => {
    const info = await c2.info();
    const warning = info.warnings.find((w) => w.includes("CNI plugins"));
    expect(warning).toContain("containernetworking-plugins");
    expect(warning).toContain(noPlugins);
    expect(warning).toContain("network none");
    // Through the in-process Remote too.
    expect((await bare.td.remote.info()).warnings).toContain(warning);
    const id = bare.td.id("fallback");
    try {
      const c = await c2.create(id, { process: { args: SLEEP } });
      expect(c.networkMode).toBe("none");
      expect(linksOf((await run(c2, id, ["ip", "-o", "link"])).output)).toEqual(["lo"]);
    } finally {
      await c2.delete(id, { force: true });
    }
    const named = bare.td.id("named");
    expect(await codeOf(c2.create(named, { process: { args: SLEEP }, network: bare.net.name }))).toBe("unavailable");
    expect(await messageOf(c2.create(named, { process: { args: SLEEP }, network: bare.net.name }))).toContain("apt-get install containernetworking-plugins");
    const ports = c2.create(named, { process: { args: SLEEP }, ports: [{ containerPort: 80 }] });
    expect(await messageOf(ports)).toContain("apt-get install containernetworking-plugins");
    expect(await codeOf(c2.create(named, { process: { args: SLEEP }, ports: [{ containerPort: 80 }] }))).toBe("unavailable");
    expect(await codeOf(c2.state(named))).toBe("not_found");
  });
});
