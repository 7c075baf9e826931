// @ts-check
// What the benchmark needs from the host, checked before anything starts,
// with the command that installs what is missing. Nothing is installed here.
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

import { run } from "./spawn.js";

/**
 * @typedef {object} Tool
 * @property {string} name the binary
 * @property {string} pkg the Debian package that provides it
 * @property {string[]} neededBy the systems that cannot run without it ("all" for every one)
 */

/** @type {Tool[]} */
const TOOLS = [
  { name: "runc", pkg: "runc", neededBy: ["all"] },
  { name: "busybox", pkg: "busybox-static", neededBy: ["all"] },
  { name: "tar", pkg: "tar", neededBy: ["all"] },
  { name: "umount", pkg: "mount", neededBy: ["all"] },
  { name: "conmon", pkg: "conmon", neededBy: ["berth", "podman"] },
  { name: "containerd", pkg: "containerd", neededBy: ["containerd"] },
  { name: "containerd-shim-runc-v2", pkg: "containerd", neededBy: ["containerd"] },
  { name: "ctr", pkg: "containerd", neededBy: ["containerd"] },
  { name: "podman", pkg: "podman", neededBy: ["podman"] },
  // The pull row's registry and the daemonless tools it is compared with.
  { name: "docker-registry", pkg: "docker-registry", neededBy: ["pull"] },
  { name: "skopeo", pkg: "skopeo", neededBy: ["pull"] },
  { name: "umoci", pkg: "umoci", neededBy: ["pull"] },
];

/**
 * @typedef {object} Prerequisites
 * @property {Record<string, string>} paths tool -> absolute path, for those found
 * @property {Record<string, string>} versions tool -> first line of --version
 * @property {string[]} fatal problems that stop the whole benchmark
 * @property {Record<string, string>} unavailable system -> why it cannot run
 */

/**
 * checkPrerequisites looks for every tool and reads the versions.
 * @returns {Promise<Prerequisites>}
 */
export async function checkPrerequisites() {
  /** @type {Prerequisites} */
  const out = { paths: {}, versions: {}, fatal: [], unavailable: {} };
  /** @type {Tool[]} */
  const missing = [];
  for (const tool of TOOLS) {
    const path = findOnPath(tool.name);
    if (path === undefined) missing.push(tool);
    else out.paths[tool.name] = path;
  }
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => t.pkg))].join(" ");
    const hint = `install with: apt-get install ${pkgs}`;
    for (const tool of missing) {
      if (tool.neededBy.includes("all")) out.fatal.push(`${tool.name} is not on PATH (${hint})`);
      for (const sys of tool.neededBy) if (sys !== "all") out.unavailable[sys] ??= `${tool.name} is not on PATH (${hint})`;
    }
  }
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    out.fatal.push("the benchmark creates containers and cgroups, so it must run as root (sudo npm run bench)");
  }
  if (out.paths["busybox"] !== undefined && !isStatic(out.paths["busybox"])) {
    out.fatal.push(`${out.paths["busybox"]} is dynamically linked and cannot run in a container without libc (install with: apt-get install busybox-static)`);
  }
  for (const [name, args] of /** @type {const} */ ([
    ["runc", ["--version"]],
    ["conmon", ["--version"]],
    ["containerd", ["--version"]],
    ["podman", ["--version"]],
    ["docker-registry", ["--version"]],
    ["skopeo", ["--version"]],
    ["umoci", ["--version"]],
  ])) {
    const path = out.paths[name];
    if (path === undefined) continue;
    const result = await run(path, args, { captureStdout: true });
    out.versions[name] = result.stdout.split("\n")[0]?.trim() ?? "";
  }
  return out;
}

/**
 * @param {string} name
 * @returns {string | undefined}
 */
function findOnPath(name) {
  for (const dir of (process.env["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * isStatic tells whether an ELF binary has no program interpreter.
 * @param {string} path
 */
function isStatic(path) {
  const head = readFileSync(path).subarray(0, 64 * 1024);
  return !head.includes(Buffer.from("/lib64/ld-linux")) && !head.includes(Buffer.from("/lib/ld-"));
}
