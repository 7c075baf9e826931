// @ts-check
// The bridge row's own section of the results page: each system's network
// and timed call, how reachability is checked, and what each system's own
// clean-up left on the host (which the bench then removed).
import { CONTAINER_PORT, HTTPD, PROBE_PATH } from "./bridge-net.js";

/**
 * @param {{ setup: import("../suites/bridge.js").BridgeRow["setup"], leftBehind: string[] }} bridge
 * @returns {string[]}
 */
export function bridgeMarkdown(bridge) {
  const lines = ["### The bridge row", ""];
  lines.push(
    `\`${HTTPD.join(" ")}\` on a bridge network of each system's own, 127.0.0.1:P published to ${CONTAINER_PORT}/tcp, through Debian's CNI plugins (bridge + host-local, portmap, firewall). Timed: the call that returns once the container runs. Untimed, after it: ${PROBE_PATH} fetched from 127.0.0.1:P until served (a container not reachable within 10 s fails its system), then the container removed with its address and rules, and the next system timed only once no process of it is left (its monitor or shim, Podman's cleanup exit command).`,
  );
  lines.push("");
  lines.push("| system | network (bridge, subnet) | timed call | left on the host by its own clean-up |");
  lines.push("|---|---|---|---|");
  for (const [name, s] of Object.entries(bridge.setup)) {
    const left = s.leftBySystem === undefined || s.leftBySystem.length === 0 ? "nothing" : s.leftBySystem.map(escape).join("; ");
    lines.push(`| ${name} | ${s.network.name} (${s.network.bridge}, ${s.network.subnet}) | ${escape(s.how)} | ${left} |`);
  }
  lines.push("");
  lines.push(
    "containerd: ctr reads its CNI list only from /etc/cni/net.d with plugins in /opt/cni/bin; the bench runs it in a private mount namespace where its own folder and /usr/lib/cni are bound there (the host's folders untouched), the published port is portmap's runtimeConfig in that list (ctr passes no port mappings), and the bench runs CNI DEL with libcni's cached result before removing the task (ctr does not for a detached container). ctr's own spec (not berth's default one) and no generated /etc/hosts or resolv.conf. Podman: its CNI backend, the network's list under --network-config-dir, its generated /etc/hosts and resolv.conf.",
  );
  if (bridge.leftBehind.length > 0) lines.push("", `Still on the host after the bench's own sweep: ${bridge.leftBehind.map(escape).join("; ")}`);
  return lines;
}

/** @param {string} s */
function escape(s) {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
