// berth restart: stop containers as stop does, then start them again.
import type { Command } from "../command.js";
import { forEachId } from "../for-each-id.js";
import { STOP_FLAGS, stopOptionsOf, writeKilledNote } from "../stop-flags.js";

export const restartCommand: Command = {
  name: "restart",
  summary: "stop containers (if running) and start them again",
  usage: "[-t SECONDS] [-s SIG] ID...",
  positionals: { min: 1, max: Infinity },
  options: STOP_FLAGS,
  details: "The new run keeps the container's writable layer, so what it wrote survives.",
  async run(ctx) {
    const options = stopOptionsOf(ctx);
    return forEachId(ctx, async (client, id) => {
      const { killed, container } = await client.restart(id, options);
      if (killed) writeKilledNote(ctx, id, options, container.stopSignal);
    });
  },
};
