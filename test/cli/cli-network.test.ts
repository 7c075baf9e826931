// The network commands through the built CLI against a real `berth serve`:
// network create, ls and inspect; run --network NAME -p 127.0.0.1::PORT
// with the page served on the host port berth picked; berth port with and
// without a port; the address in berth inspect; network rm refused while a
// container is attached and done after it is removed, leaving nothing of
// the network on the host. Traffic goes only to 127.0.0.1. A dozen CLI
// processes, each a node start: minutes on a loaded two-core machine.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { removeBridge } from "../../src/network/bridge-cleanup.js";
import { exitCodeOfError } from "../../src/cli/exit-code.js";
import { testNetwork } from "../fixtures/test-network.js";
import { until } from "../fixtures/until.js";
import { addressOf, networkLeftovers } from "../network/net-fixture.js";
import { useServeDaemon } from "./berth-cli.js";

const prefix = `clinet-${process.pid}-${Date.now().toString(36)}`;
const served = useServeDaemon("clinet", prefix);
const cli = served.cli;
const net = testNetwork("clinet");

describe("berth network, run -p, port", () => {
  afterAll(async () => {
    await cli("network", "rm", "-f", net.name).catch(() => {});
    await removeBridge(net.bridge);
  });

  it("creates a network, runs a published httpd on it, reports its port and address, and removes the network once nothing is attached", { timeout: 300_000 }, async () => {
    expect(await cli("network", "create", "--subnet", net.subnet, "--bridge", net.bridge, net.name)).toMatchObject({ code: 0, stdout: `${net.name}\n` });
    const listed = (await cli("network", "ls")).stdout.split("\n");
    expect(listed[0]).toMatch(/^NAME\s+BRIDGE\s+SUBNET\s+GATEWAY/);
    expect(listed.find((l) => l.startsWith(`${net.name} `))).toMatch(new RegExp(`^${net.name}\\s+${net.bridge}\\s+${net.subnet.replace(/\./g, "\\.")}\\s+${net.prefix.replace(/\./g, "\\.")}\\.1`));

    const id = `${prefix}-web`;
    const page = "served-through-the-cli";
    const ran = await cli("run", "-d", "--network", net.name, "-p", "127.0.0.1::80", id, "--", "sh", "-c", `mkdir -p /www && echo ${page} > /www/index.html && exec httpd -f -p 80 -h /www`);
    expect(ran.code, ran.stderr).toBe(0);
    let address = "";
    try {
      const all = (await cli("port", id)).stdout;
      const m = /^80\/tcp -> 127\.0\.0\.1:(\d+)\n$/.exec(all);
      expect(m, all).not.toBeNull();
      const hostPort = Number(m![1]);
      expect(hostPort).toBeGreaterThan(0);
      expect(await cli("port", id, "80")).toMatchObject({ code: 0, stdout: `127.0.0.1:${hostPort}\n` });
      expect((await cli("port", id, "81")).code).toBe(exitCodeOfError("not_found"));

      let body = "";
      await until(async () => {
        body = await fetch(`http://127.0.0.1:${hostPort}/index.html`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text(), () => "");
        return body !== "";
      }, "httpd to answer on the published port", 20_000);
      expect(body).toBe(`${page}\n`);

      const inspected = JSON.parse((await cli("inspect", id)).stdout) as Array<{ container: { networkMode: string; networks: Array<{ network: string; ipv4Address: string }> } }>;
      expect(inspected[0]?.container.networkMode).toBe("bridge");
      const attachment = inspected[0]?.container.networks[0];
      expect(attachment?.network).toBe(net.name);
      address = addressOf(attachment?.ipv4Address ?? "");
      expect(address.startsWith(`${net.prefix}.`)).toBe(true);
      const endpoints = JSON.parse((await cli("network", "inspect", net.name)).stdout) as Array<{ endpoints: Array<{ containerId: string }> }>;
      expect(endpoints[0]?.endpoints.map((e) => e.containerId)).toEqual([id]);

      const refused = await cli("network", "rm", net.name);
      expect(refused.code).toBe(exitCodeOfError("failed_precondition"));
      expect(refused.stderr).toContain(id);
    } finally {
      await cli("rm", "-f", id);
    }
    expect(await cli("network", "rm", net.name)).toMatchObject({ code: 0, stdout: `${net.name}\n` });
    expect((await cli("network", "ls")).stdout).not.toContain(net.name);
    expect(networkLeftovers(join(served.scratch, "state"), net, [address])).toEqual([]);
  });
});
