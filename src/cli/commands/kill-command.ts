// berth kill: send a signal to a container's init process (or, with --all,
// to every process in it).
import { flag, type Command } from "../command.js";
import { withClient } from "../connect-client.js";

export const killCommand: Command = {
  name: "kill",
  summary: "send a signal to a container (default SIGKILL)",
  usage: "[--all] ID [SIGNAL]",
  positionals: { min: 1, max: 2 },
  options: [{ name: "all", type: "boolean", help: "signal every process of the container" }],
  details: "SIGNAL is a number (15) or a name (TERM, SIGTERM).",
  async run(ctx) {
    const [id, signal = "SIGKILL"] = ctx.positionals as [string, string?];
    await withClient(ctx.globals, (client) => client.signal(id, signal, { all: flag(ctx, "all") }));
    return 0;
  },
};
