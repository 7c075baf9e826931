// berth top: the processes inside a container.
import { type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { formatTable } from "../format-table.js";

export const topCommand: Command = {
  name: "top",
  summary: "list the processes inside a container",
  usage: "ID",
  positionals: { min: 1, max: 1 },
  options: [],
  details: "PROCESS names the berth process (init or an exec id) for pids berth started.",
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const processes = await withClient(ctx.globals, (client) => client.summary(id));
    const rows = processes.map((p) => [String(p.pid), String(p.ppid), p.state, p.processId || "-", p.command]);
    ctx.stdout.write(formatTable(["PID", "PPID", "STATE", "PROCESS", "COMMAND"], rows));
    return 0;
  },
};
