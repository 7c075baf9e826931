// berth network: create, ls, inspect and rm bridge networks.
import { toJson } from "@bufbuild/protobuf";

import { NetworkSchema } from "../../client/types.js";
import { NetworkEndpointSchema } from "../../gen/berth/v1/networks_pb.js";
import { flag, stringOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { formatTable } from "../format-table.js";
import { UsageError } from "../usage-error.js";

const SUBCOMMANDS = ["create", "ls", "inspect", "rm"];

export const networkCommand: Command = {
  name: "network",
  summary: "create, list, inspect and remove networks",
  usage: "create --subnet CIDR [--gateway IP] [--ipv6-subnet CIDR] [--internal] [--bridge DEV] NAME | ls | inspect NAME... | rm [-f] NAME...",
  positionals: { min: 1, max: Infinity },
  options: [
    { name: "subnet", type: "string", value: "CIDR", help: "create: the network's IPv4 subnet (10.89.1.0/24)" },
    { name: "gateway", type: "string", value: "IP", help: "create: the bridge's address (default: the subnet's first)" },
    { name: "ipv6-subnet", type: "string", value: "CIDR", help: "create: an IPv6 subnet too" },
    { name: "internal", type: "boolean", help: "create: no route out of the host" },
    { name: "bridge", type: "string", value: "DEV", help: "create: the bridge device's name (default derived from NAME)" },
    { name: "force", short: "f", type: "boolean", help: "rm: disconnect attached containers first" },
  ],
  details: "Containers join a network with `berth run --network NAME`; on one network they reach each other by name.",
  async run(ctx) {
    const [sub = "", ...names] = ctx.positionals;
    if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`network: unknown subcommand ${JSON.stringify(sub)}: give ${SUBCOMMANDS.join(", ")}`);
    if (sub !== "ls" && names.length === 0) throw new UsageError(`network ${sub}: give a network name`);
    return withClient(ctx.globals, async (client) => {
      switch (sub) {
        case "create": {
          if (names.length !== 1) throw new UsageError("network create: give one name");
          const n = await client.createNetwork({
            name: names[0]!,
            subnet: stringOption(ctx, "subnet") ?? "",
            gateway: stringOption(ctx, "gateway") ?? "",
            ipv6Subnet: stringOption(ctx, "ipv6-subnet") ?? "",
            internal: flag(ctx, "internal"),
            bridge: stringOption(ctx, "bridge") ?? "",
          });
          ctx.stdout.write(`${n.name}\n`);
          return 0;
        }
        case "ls": {
          const rows = (await client.listNetworks()).map((n) => [n.name, n.bridge, n.subnet + (n.ipv6Subnet ? ` ${n.ipv6Subnet}` : ""), n.gateway, n.isDefault ? "default" : n.internal ? "internal" : ""]);
          ctx.stdout.write(formatTable(["NAME", "BRIDGE", "SUBNET", "GATEWAY", ""], rows));
          return 0;
        }
        case "inspect": {
          const out = [];
          for (const name of names) {
            const r = await client.inspectNetwork(name);
            out.push({ network: toJson(NetworkSchema, r.network), endpoints: r.endpoints.map((e) => toJson(NetworkEndpointSchema, e)) });
          }
          ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          return 0;
        }
        default:
          for (const name of names) {
            await client.removeNetwork(name, { force: flag(ctx, "force") });
            ctx.stdout.write(`${name}\n`);
          }
          return 0;
      }
    });
  },
};
