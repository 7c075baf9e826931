// What the network suites share: a daemon whose default network is the
// suite's own bridge, running commands in containers, and the host-side
// checks that nothing of a container's network is left (veths on the
// bridge, iptables rules naming its address or CNI id, IPAM reservations,
// namespace mounts).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import type { Client } from "../../src/client/client.js";
import { removeBridge } from "../../src/network/bridge-cleanup.js";
import type { NetworkSettings } from "../../src/network/network-manager.js";
import type { RemoteOptions } from "../../src/remote/remote.js";
import { defaultNetworkOf, testNetwork, type TestNetwork } from "../fixtures/test-network.js";
import { iptablesRules, startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

export interface NetDaemon {
  td: TestDaemon;
  // net is the daemon's default network; more are made with extra().
  net: TestNetwork;
  // extra is another network of the suite's, for CreateNetwork.
  extra(): TestNetwork;
  stop(): Promise<void>;
}

// settings change the daemon's network settings beside its default network.
export async function startNetDaemon(suite: string, options: RemoteOptions = {}, settings: NetworkSettings = {}): Promise<NetDaemon> {
  const net = testNetwork(suite);
  const made: TestNetwork[] = [net];
  const td = await startTestDaemon(suite, { network: { ...defaultNetworkOf(net), ...settings }, ...options });
  return {
    td,
    net,
    extra() {
      const n = testNetwork(suite);
      made.push(n);
      return n;
    },
    async stop() {
      try {
        await td.stop();
      } finally {
        // The default network stays while its daemon could use it (as
        // docker0 does); the suite's bridges go with the suite. Leftover
        // rules of its containers are checked by each test.
        for (const n of made) await removeBridge(n.bridge);
      }
    },
  };
}

// run execs args in a container and returns its exit code and output.
export async function run(client: Client, id: string, args: string[]): Promise<{ exitCode: number; output: string }> {
  const pid = `x${Math.random().toString(36).slice(2, 10)}`;
  await client.addProcess(id, pid, { args });
  const { exitCode } = await client.wait(id, { processId: pid });
  let output = "";
  for await (const line of client.logs(id, { processId: pid })) output += `${Buffer.from(line.line).toString()}${line.partial ? "" : "\n"}`;
  return { exitCode, output };
}

// networkLeftovers lists what is left on the host of containers that had
// the given addresses or CNI ids on net: veths still on its bridge,
// iptables rules naming them, the suite's IPAM reservations, namespace
// mounts under the state directory.
export function networkLeftovers(stateDir: string, net: TestNetwork, marks: readonly string[]): string[] {
  const out: string[] = [];
  try {
    const links = execFileSync("ip", ["-o", "link", "show", "master", net.bridge], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    for (const l of links.split("\n").filter((x) => x.trim() !== "")) out.push(`veth on ${net.bridge}: ${l.split(":")[1]?.trim()}`);
  } catch {
    // no such bridge: nothing on it
  }
  for (const rule of iptablesRules()) if (marks.some((m) => m !== "" && rule.includes(m))) out.push(`iptables: ${rule}`);
  const ipam = join(stateDir, "cni", "ipam", net.name);
  for (const f of safeReaddir(ipam)) if (f !== "lock" && !f.startsWith("last_reserved_ip")) out.push(`IPAM reservation ${f}`);
  for (const f of safeReaddir(join(stateDir, "cni", "results"))) out.push(`CNI cache ${f}`);
  const mounts = readFileSync("/proc/self/mountinfo", "utf8");
  for (const line of mounts.split("\n")) if (line.includes(stateDir) && line.includes(" nsfs ")) out.push(`netns mount ${line.split(" ")[4]}`);
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// addressOf is "10.1.2.3" from "10.1.2.3/24".
export const addressOf = (cidr: string) => cidr.split("/")[0]!;
