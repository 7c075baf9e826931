// @ts-check
// What the bridge row may leave on the host, found from the host itself:
// its bridge devices (and veths enslaved to them), iptables rules that name
// one of its bridges, subnets or containers, and files (IPAM reservations,
// CNI result caches) outside the private root. bridgeLeftovers lists them;
// sweepBridgeLeftovers removes what it can first (the bridge plugin makes a
// bridge and nobody running `ctr run --cni` removes it; a run killed
// mid-row leaves its rules), then lists what is still there. Rules of
// portmap's and firewall's shared chains that name none of these (their
// top-level CNI-* chains, which upstream leaves) are not the bench's.
import { existsSync, readdirSync, rmSync } from "node:fs";

import { run } from "./spawn.js";

/**
 * @typedef {object} BridgeFootprint
 * @property {string[]} bridges bridge devices
 * @property {string[]} needles strings only the row's rules contain:
 *   subnet prefixes ("10.248.1."), bridge names, container ids
 * @property {string[]} files paths outside the root (reservation folders,
 *   result caches)
 */

/**
 * bridgeLeftovers lists what of footprint is still on the host.
 * @param {BridgeFootprint} footprint
 * @returns {Promise<string[]>}
 */
export async function bridgeLeftovers(footprint) {
  /** @type {string[]} */
  const left = [];
  for (const line of await linksOf(footprint.bridges)) left.push(`link ${line}`);
  for (const rule of await rulesOf(footprint)) left.push(`iptables -t ${rule.table} ${rule.spec.join(" ")}`);
  for (const file of footprint.files) if (existsSync(file)) left.push(`file ${file}`);
  return left;
}

/**
 * sweepBridgeLeftovers deletes the footprint's bridges, rules and files,
 * then returns what is left.
 * @param {BridgeFootprint} footprint
 * @returns {Promise<string[]>}
 */
export async function sweepBridgeLeftovers(footprint) {
  for (const rule of await rulesOf(footprint)) {
    await run("iptables", ["-w", "-t", rule.table, "-D", ...rule.spec.slice(1)]);
  }
  for (const bridge of footprint.bridges) {
    if ((await linksOf([bridge])).length > 0) await run("ip", ["link", "del", bridge]);
  }
  for (const file of footprint.files) rmSync(file, { recursive: true, force: true });
  return bridgeLeftovers(footprint);
}

/**
 * ownedFilesIn lists the entries of dir whose names contain one of ids
 * (libcni's result cache names files <network>-<container id>-<ifname>).
 * @param {string} dir
 * @param {readonly string[]} ids
 */
export function ownedFilesIn(dir, ids) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => ids.some((id) => name.includes(id)))
    .map((name) => `${dir}/${name}`);
}

/**
 * linksOf lists `ip -o link` lines of the bridges or of devices enslaved to
 * them.
 * @param {readonly string[]} bridges
 */
async function linksOf(bridges) {
  if (bridges.length === 0) return [];
  const { stdout } = await run("ip", ["-o", "link", "show"], { captureStdout: true });
  return stdout
    .split("\n")
    .filter((line) => bridges.some((b) => line.includes(`: ${b}:`) || line.includes(` master ${b} `)))
    .map((line) => line.split("\\")[0]?.trim() ?? line);
}

/**
 * rulesOf lists the iptables rules (as `-A CHAIN ...` argument lists) that
 * contain one of the footprint's needles.
 * @param {BridgeFootprint} footprint
 * @returns {Promise<{ table: string, spec: string[] }[]>}
 */
async function rulesOf(footprint) {
  const needles = [...footprint.needles, ...footprint.bridges];
  if (needles.length === 0) return [];
  const { stdout, code } = await run("iptables-save", [], { captureStdout: true });
  if (code !== 0) return [];
  /** @type {{ table: string, spec: string[] }[]} */
  const out = [];
  let table = "";
  for (const line of stdout.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1);
    else if (line.startsWith("-A ") && needles.some((n) => line.includes(n))) out.push({ table, spec: splitRule(line) });
  }
  return out;
}

/**
 * splitRule splits one iptables-save line into arguments: words, and
 * double-quoted strings with backslash escapes (comments).
 * @param {string} line
 * @returns {string[]}
 */
export function splitRule(line) {
  /** @type {string[]} */
  const out = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    let word = "";
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length) i++;
        word += line[i];
        i++;
      }
      i++;
    } else {
      while (i < line.length && line[i] !== " ") word += line[i++];
    }
    out.push(word);
  }
  return out;
}
