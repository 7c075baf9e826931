// berth resume: thaw paused containers.
import type { Command } from "../command.js";
import { forEachId } from "../for-each-id.js";

export const resumeCommand: Command = {
  name: "resume",
  summary: "thaw paused containers",
  usage: "ID...",
  positionals: { min: 1, max: Infinity },
  options: [],
  run: (ctx) => forEachId(ctx, (client, id) => client.resume(id)),
};
