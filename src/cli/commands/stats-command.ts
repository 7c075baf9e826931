// berth stats: one snapshot of a container's resource use.
import { toJsonString } from "@bufbuild/protobuf";

import { StatsSchema } from "../../client/types.js";
import { flag, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { formatStats } from "../format-stats.js";

export const statsCommand: Command = {
  name: "stats",
  summary: "show a container's CPU, memory, pids and block I/O",
  usage: "[--json] ID",
  positionals: { min: 1, max: 1 },
  options: [{ name: "json", type: "boolean", help: "print the Stats message as proto3 JSON (64-bit numbers as strings)" }],
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const stats = await withClient(ctx.globals, (client) => client.stats(id));
    ctx.stdout.write(flag(ctx, "json") ? `${toJsonString(StatsSchema, stats)}\n` : formatStats(stats));
    return 0;
  },
};
