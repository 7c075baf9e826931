// berth log-level [LEVEL]: the running daemon's log level, changed when a
// level is given (SystemService.UpdateOptions), as `berth serve
// --log-level` sets it at start.
import { LOG_LEVELS } from "../../log/log-level.js";
import type { Command } from "../command.js";
import { withClient } from "../connect-client.js";

export const logLevelCommand: Command = {
  name: "log-level",
  summary: "show or change the running daemon's log level",
  usage: `[${LOG_LEVELS.join("|")}]`,
  positionals: { min: 0, max: 1 },
  options: [],
  details: "Prints the level in force. The change lasts until the daemon stops; the next `berth serve` starts at its configured level.",
  async run(ctx) {
    const [level] = ctx.positionals;
    const now = await withClient(ctx.globals, (client) => client.updateOptions(level === undefined ? {} : { logLevel: level }));
    ctx.stdout.write(`${now.logLevel}\n`);
    return 0;
  },
};
