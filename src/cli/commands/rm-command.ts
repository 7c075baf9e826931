// berth rm: delete stopped containers, or with -f running ones too.
import { flag, type Command } from "../command.js";
import { forEachId } from "../for-each-id.js";

export const rmCommand: Command = {
  name: "rm",
  summary: "delete containers",
  usage: "[-f] ID...",
  positionals: { min: 1, max: Infinity },
  options: [{ name: "force", short: "f", type: "boolean", help: "kill a running container first" }],
  run: (ctx) => forEachId(ctx, (client, id) => client.delete(id, { force: flag(ctx, "force") })),
};
