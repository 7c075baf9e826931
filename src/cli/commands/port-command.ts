// berth port: a container's published ports as bound, as `docker port`
// prints them ("80/tcp -> 127.0.0.1:44001"); with a port, only its host
// addresses.
import { BerthError } from "../../errors/berth-error.js";
import type { PortBinding } from "../../client/types.js";
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { UsageError } from "../usage-error.js";

export const portCommand: Command = {
  name: "port",
  summary: "list a container's published ports",
  usage: "ID [PORT[/udp]]",
  positionals: { min: 1, max: 2 },
  options: [],
  details: "A stopped container holds no ports: it gets them again when it starts.",
  async run(ctx) {
    const [id = "", wanted] = ctx.positionals;
    const filter = wanted === undefined ? undefined : parsePortFilter(wanted);
    return withClient(ctx.globals, async (client) => {
      const ports = (await client.state(id)).ports.filter((p) => filter === undefined || (p.containerPort === filter.port && p.protocol === filter.protocol));
      if (filter !== undefined && ports.length === 0) throw new BerthError("not_found", `container ${id} publishes no port ${wanted}`);
      for (const p of ports) ctx.stdout.write(filter === undefined ? `${p.containerPort}/${p.protocol} -> ${hostSide(p)}\n` : `${hostSide(p)}\n`);
      return 0;
    });
  },
};

function hostSide(p: PortBinding): string {
  const ip = p.hostIp === "" ? "0.0.0.0" : p.hostIp.includes(":") ? `[${p.hostIp}]` : p.hostIp;
  return `${ip}:${p.hostPort}`;
}

function parsePortFilter(text: string): { port: number; protocol: string } {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(text);
  if (m === null) throw new UsageError(`port ${JSON.stringify(text)}: give PORT or PORT/udp`);
  return { port: Number(m[1]), protocol: m[2] ?? "tcp" };
}
