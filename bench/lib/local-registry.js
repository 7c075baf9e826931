// @ts-check
// startLocalRegistry runs Debian's docker-registry (the CNCF distribution
// registry) on 127.0.0.1 with a free port and its storage under the
// workspace, plain HTTP, for the pull row; images go in with skopeo.
// Its stop is registered with the workspace, so the sweep also ends it.
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { stopChild } from "./daemon-process.js";
import { runChecked } from "./spawn.js";
import { deferred, waitFor } from "./wait.js";

/**
 * @typedef {object} LocalRegistry
 * @property {string} host "127.0.0.1:PORT"
 * @property {(layout: string, repository: string) => Promise<void>} push
 *   copies the layout's "latest" image to repository:latest
 */

/**
 * @param {import("./workspace.js").Workspace} ws
 * @param {{ registry: string, skopeo: string }} binaries
 * @returns {Promise<LocalRegistry>}
 */
export async function startLocalRegistry(ws, binaries) {
  const dir = ws.path("registry");
  await mkdir(dir, { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  const config = {
    version: 0.1,
    log: { level: "error", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, "storage") } },
    http: { addr: host, secret: "berth-bench" },
  };
  const configPath = join(dir, "config.yml");
  // YAML is a superset of JSON.
  await writeFile(configPath, JSON.stringify(config));
  const child = spawn(binaries.registry, ["serve", configPath], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = deferred();
  child.once("exit", () => exited.resolve(undefined));
  child.once("error", (err) => exited.resolve(err));
  let stderr = "";
  child.stderr?.on("data", (/** @type {Buffer} */ d) => (stderr += d.toString("utf8")));
  ws.onClose("stop the local registry", () => stopChild(child, exited.promise.then(() => {}), 10_000, "docker-registry"));
  await waitFor(() => answers(host), { timeoutMs: 15_000, intervalMs: 50, what: () => `docker-registry on ${host} to answer (stderr: ${stderr.trim() || "none"})` });
  // skopeo keeps its temporary copies and its auth file under HOME and
  // TMPDIR: both inside the workspace.
  const env = { ...process.env, HOME: dir, TMPDIR: dir };
  return {
    host,
    push: async (layout, repository) => {
      await runChecked(binaries.skopeo, ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:latest`, `docker://${host}/${repository}:latest`], { env });
    },
  };
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {string} host
 * @returns {Promise<boolean>}
 */
function answers(host) {
  return new Promise((resolve) => {
    const req = http.get(`http://${host}/v2/`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
  });
}
