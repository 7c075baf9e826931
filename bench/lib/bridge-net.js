// @ts-check
// The bridge row's networks and its reachability check. Each system gets a
// network of its own: its own name, its own bridge device and its own /24
// in 10.248.0.0/16, apart from berth's default (10.87.0.0/16), Podman's
// (10.88.0.0/16) and the tests' (10.192.0.0/11), so the bench never shares
// a bridge, an address range or a rule with anything else on the host. The
// only traffic is to 127.0.0.1, to the port the bench published for a
// container it made on a bridge it made.
import { request } from "node:http";
import { createServer } from "node:net";

import { deferred } from "./wait.js";

export const CONTAINER_PORT = 8080;
/** busybox httpd in the foreground, serving the container's /etc. */
export const HTTPD = ["httpd", "-f", "-p", String(CONTAINER_PORT), "-h", "/etc"];
/** The file fetched to call a container reachable (in every busybox rootfs). */
export const PROBE_PATH = "/passwd";

/**
 * @typedef {object} BridgeNet
 * @property {string} name the network's name
 * @property {string} bridge the bridge device (at most 15 characters)
 * @property {string} subnet an IPv4 /24
 * @property {string} gateway the subnet's first address
 */

/**
 * bridgeNetOf is system number index's network. The names are the same in
 * every run, so a run finds (and removes) what one killed mid-row left.
 * @param {string} system
 * @param {number} index 1, 2, 3...
 * @returns {BridgeNet}
 */
export function bridgeNetOf(system, index) {
  return { name: `berth-bench-${system}`, bridge: `bbench${index}`, subnet: `10.248.${index}.0/24`, gateway: `10.248.${index}.1` };
}

/**
 * freePort asks the kernel for a TCP port on 127.0.0.1 that nothing holds
 * right now.
 * @returns {Promise<number>}
 */
export async function freePort() {
  const server = createServer();
  const listening = deferred();
  server.once("error", listening.reject);
  server.listen(0, "127.0.0.1", () => listening.resolve(undefined));
  await listening.promise;
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port from the kernel");
  return address.port;
}

/**
 * untilServed fetches PROBE_PATH from 127.0.0.1:port until it is served
 * with status 200 (the container's httpd answered through the published
 * port), or throws at the deadline with the last failure.
 * @param {number} port
 * @param {number} timeoutMs
 */
export async function untilServed(port, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  let last = "no attempt";
  for (;;) {
    try {
      const { status, body } = await fetchOnce(port);
      if (status === 200 && body.includes("root:")) return;
      last = `status ${status}`;
    } catch (err) {
      last = /** @type {Error} */ (err).message;
    }
    if (performance.now() > deadline) throw new Error(`127.0.0.1:${port}${PROBE_PATH} was not served within ${timeoutMs} ms (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * @param {number} port
 * @returns {Promise<{ status: number, body: string }>}
 */
function fetchOnce(port) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: PROBE_PATH, agent: false, timeout: 2000 }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}
