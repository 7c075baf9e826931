// berth start: start created or stopped containers.
import type { Command } from "../command.js";
import { forEachId } from "../for-each-id.js";

export const startCommand: Command = {
  name: "start",
  summary: "start created or stopped containers",
  usage: "ID...",
  positionals: { min: 1, max: Infinity },
  options: [],
  details:
    "A stopped container starts a new run on the same writable layer, so what it wrote survives.\n" +
    "Starting a running or paused container changes nothing.",
  run: (ctx) => forEachId(ctx, (client, id) => client.start(id)),
};
