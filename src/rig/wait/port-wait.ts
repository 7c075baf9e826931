// PortWait waits until a TCP connection to each published port, on the
// host's side (127.0.0.1 and the mapped port), is accepted. portmap
// forwards with DNAT, not a proxy that accepts for the container, so an
// accepted connection means the container itself listens.
import { connect } from "node:net";

import { invalidArgument } from "../../errors/berth-error.js";
import { PollingWait, type Probe, type ProbeContext, type WaitTarget } from "./wait-strategy.js";

export class PortWait extends PollingWait {
  // ports are the container ports to wait for; none means every published
  // TCP port.
  constructor(private readonly ports: readonly number[] = []) {
    super();
  }

  describe(): string {
    return this.ports.length === 0 ? "every published TCP port to accept connections" : `port${this.ports.length === 1 ? "" : "s"} ${this.ports.map((p) => `${p}/tcp`).join(", ")} to accept connections`;
  }

  protected override async probe(target: WaitTarget, { deadline }: ProbeContext): Promise<Probe> {
    const tcp = target.ports.filter((p) => p.protocol === "" || p.protocol === "tcp");
    const wanted = this.ports.length === 0 ? tcp.map((p) => p.containerPort) : this.ports;
    if (wanted.length === 0) throw invalidArgument(`container ${target.id} publishes no TCP port to wait for: add one with withExposedPorts`);
    const seen: string[] = [];
    for (const port of wanted) {
      const binding = tcp.find((p) => p.containerPort === port);
      if (binding === undefined) throw invalidArgument(`port ${port}/tcp of container ${target.id} is not published: add it with withExposedPorts`);
      const error = await tryConnect(target.host, binding.hostPort, Math.max(100, Math.min(1000, deadline - Date.now())));
      if (error !== undefined) {
        seen.push(`${target.host}:${binding.hostPort} (${port}/tcp): ${error}`);
        return { ready: false, seen: seen.join("; ") };
      }
    }
    return { ready: true, seen: "every port accepted a connection" };
  }
}

// tryConnect opens and closes one TCP connection: undefined when accepted,
// else why not.
function tryConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (error?: string) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer in ${timeoutMs} ms`));
    socket.once("connect", () => finish());
    socket.once("error", (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
  });
}
