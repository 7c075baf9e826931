// invokePlugin runs one CNI plugin as the CNI spec's runtime side does
// (containernetworking/cni pkg/invoke/exec.go): the command and the
// container in the environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
// CNI_IFNAME, CNI_PATH), the network configuration as JSON on stdin, the
// result as JSON on stdout, and on failure an error object
// {cniVersion, code, msg, details} on stdout with a non-zero exit.
//
// Written by hand: the protocol is a process call with JSON in and out,
// and no maintained Node library implements the runtime side.
import { access, constants } from "node:fs/promises";
import { join } from "node:path";

import { BerthError, unavailable } from "../errors/berth-error.js";
import { quickSpawn } from "../runtime/quick-spawn.js";

export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION";

export interface PluginCall {
  command: CniCommand;
  // containerId is CNI_CONTAINERID: unique per container on the host.
  containerId: string;
  // netns is the namespace's path; empty on a DEL whose namespace is gone.
  netns: string;
  ifName: string;
  // pluginDirs is CNI_PATH: where the plugin and its delegates (the IPAM
  // plugin) are looked up.
  pluginDirs: readonly string[];
  // config is the plugin's configuration, runtimeConfig and prevResult in.
  config: Record<string, unknown>;
}

// CNI_TIMEOUT_MS bounds one plugin call: a plugin stuck on the xtables
// lock must not hold a Create for ever.
const CNI_TIMEOUT_MS = 60_000;

// invokePlugin runs the plugin named by config.type and returns its parsed
// result (undefined for DEL and CHECK, which print nothing).
export async function invokePlugin(call: PluginCall): Promise<Record<string, unknown> | undefined> {
  const type = String(call.config["type"] ?? "");
  const binary = await findPlugin(type, call.pluginDirs);
  const result = await quickSpawn(binary, [], {
    input: JSON.stringify(call.config),
    env: {
      CNI_COMMAND: call.command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: call.ifName,
      CNI_PATH: call.pluginDirs.join(":"),
      // iptables, ip and the plugins' own helpers.
      PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    },
    timeoutMs: CNI_TIMEOUT_MS,
  });
  const stdout = result.stdout;
  if (result.spawnError !== undefined) throw new BerthError("internal", `CNI plugin ${type} could not be started: ${result.spawnError.message}`);
  if (result.exitCode !== 0) throw pluginError(type, call.command, stdout, result.stderr, result.timedOut);
  if (call.command === "DEL" || call.command === "CHECK" || stdout.trim() === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new BerthError("internal", `CNI plugin ${type} ${call.command} printed no JSON result: ${stdout.slice(0, 200)}`);
}

// findPlugin looks the plugin up in the plugin folders, in order.
export async function findPlugin(type: string, dirs: readonly string[]): Promise<string> {
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(type)) throw new BerthError("internal", `CNI plugin type ${JSON.stringify(type)} is not a plugin name`);
  for (const dir of dirs) {
    const path = join(dir, type);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  }
  throw unavailable(`CNI plugin ${type} not found in ${dirs.join(":")}: install it (apt-get install containernetworking-plugins)`);
}

// CniErrorBody is the spec's error result.
interface CniErrorBody {
  code?: number;
  msg?: string;
  details?: string;
}

// pluginError turns a failed call into a BerthError carrying the plugin's
// own message. The spec's well-known codes that say the container's side
// is wrong (2: incompatible version, 4: invalid environment, 7: invalid
// network config) are still berth's doing here, so all are INTERNAL,
// except code 11 ("try again later"), which is UNAVAILABLE.
function pluginError(type: string, command: CniCommand, stdout: string, stderr: string, timedOut: boolean): BerthError {
  if (timedOut) return unavailable(`CNI plugin ${type} ${command} did not finish within ${CNI_TIMEOUT_MS / 1000}s`);
  let body: CniErrorBody | undefined;
  try {
    body = JSON.parse(stdout) as CniErrorBody;
  } catch {
    body = undefined;
  }
  const said = [body?.msg, body?.details].filter((s) => s !== undefined && s !== "").join(": ") || stderr.trim().split("\n").pop() || stdout.trim();
  const message = `CNI plugin ${type} ${command} failed${body?.code !== undefined ? ` (code ${body.code})` : ""}: ${said.slice(0, 500)}`;
  return body?.code === 11 ? unavailable(message) : new BerthError("internal", message);
}
