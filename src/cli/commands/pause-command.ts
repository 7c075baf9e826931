// berth pause: freeze every process of one or more containers.
import type { Command } from "../command.js";
import { forEachId } from "../for-each-id.js";

export const pauseCommand: Command = {
  name: "pause",
  summary: "freeze every process of containers",
  usage: "ID...",
  positionals: { min: 1, max: Infinity },
  options: [],
  run: (ctx) => forEachId(ctx, (client, id) => client.pause(id)),
};
