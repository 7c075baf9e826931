// berth ps: list the namespace's containers.
import { timestampDate } from "@bufbuild/protobuf/wkt";

import { Status } from "../../client/types.js";
import { flag, listOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { formatAge } from "../format-age.js";
import { formatTable } from "../format-table.js";
import { parseKeyValues } from "../parse-key-values.js";
import { containerStatusText } from "../status-text.js";

export const psCommand: Command = {
  name: "ps",
  summary: "list containers",
  usage: "[--all] [--label K=V]...",
  positionals: { min: 0, max: 0 },
  options: [
    { name: "all", short: "a", type: "boolean", help: "include stopped containers" },
    { name: "label", short: "l", type: "string", multiple: true, value: "K=V", help: "only containers with this label (repeatable)" },
    { name: "quiet", short: "q", type: "boolean", help: "print only the ids" },
  ],
  async run(ctx) {
    const labels = parseKeyValues(listOption(ctx, "label"), "--label");
    // Without --all: every container that is or will be running again.
    const statuses = flag(ctx, "all") ? [] : [Status.CREATED, Status.RUNNING, Status.PAUSED, Status.RESTARTING];
    const containers = await withClient(ctx.globals, (client) => client.list({ statuses, labels }));
    if (flag(ctx, "quiet")) {
      for (const c of containers) ctx.stdout.write(`${c.id}\n`);
      return 0;
    }
    const now = new Date();
    const rows = containers.map((c) => [
      c.id,
      containerStatusText(c, now),
      c.pid === 0 ? "-" : String(c.pid),
      c.createdAt ? formatAge(timestampDate(c.createdAt), now) : "-",
      c.processes[0]?.args.join(" ") ?? "",
    ]);
    ctx.stdout.write(formatTable(["ID", "STATUS", "PID", "CREATED", "COMMAND"], rows));
    return 0;
  },
};
