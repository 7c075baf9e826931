// @ts-check
// describeMachine collects what the report prints about the host: CPU,
// cores, memory, kernel, distribution, cgroup mode and tool versions.
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";

import { cgroupMode } from "./cgroups.js";
import { run } from "./spawn.js";

/**
 * @typedef {object} Machine
 * @property {string} cpu
 * @property {number} cores
 * @property {string} memory
 * @property {string} kernel
 * @property {string} distribution
 * @property {string} cgroups
 * @property {Record<string, string>} versions
 * @property {string} loadAtStart the 1, 5 and 15 minute load averages when
 *   the run began (other work on the host makes every number noisier)
 * @property {string} [loadAtEnd]
 */

/**
 * @param {Record<string, string>} toolVersions from the prerequisite check
 * @returns {Promise<Machine>}
 */
export async function describeMachine(toolVersions) {
  const cpuModel = cpus()[0]?.model.trim() ?? "unknown";
  const osRelease = read("/etc/os-release");
  const distribution = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? "unknown";
  const commit = await run("git", ["rev-parse", "--short", "HEAD"], { captureStdout: true }).catch(() => undefined);
  const dirty = await run("git", ["status", "--porcelain"], { captureStdout: true }).catch(() => undefined);
  const pkg = JSON.parse(read(new URL("../../package.json", import.meta.url).pathname) || "{}");
  return {
    cpu: cpuModel,
    cores: cpus().length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: release(),
    distribution,
    cgroups: cgroupMode(),
    loadAtStart: loadAverage(),
    versions: {
      node: process.version,
      berth: `${pkg.version ?? "?"} (git ${commit?.stdout.trim() || "?"}${dirty !== undefined && dirty.stdout.trim() !== "" ? ", uncommitted changes" : ""})`,
      ...toolVersions,
    },
  };
}

/** loadAverage formats the host's 1, 5 and 15 minute load averages. */
export function loadAverage() {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ");
}

/** @param {string} path */
function read(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
