// berth stop: send each container its stop signal, then SIGKILL once the
// timeout passes.
import type { Command } from "../command.js";
import { forEachId } from "../for-each-id.js";
import { STOP_FLAGS, stopOptionsOf, writeKilledNote } from "../stop-flags.js";

export const stopCommand: Command = {
  name: "stop",
  summary: "stop containers, killing them after a timeout",
  usage: "[-t SECONDS] [-s SIG] ID...",
  positionals: { min: 1, max: Infinity },
  options: STOP_FLAGS,
  details:
    "A stopped container stays stopped: its restart policy does not start it again.\n" +
    "Stopping a stopped or created container changes nothing; a paused one is thawed to receive the signal.",
  async run(ctx) {
    const options = stopOptionsOf(ctx);
    return forEachId(ctx, async (client, id) => {
      const { killed, container } = await client.stop(id, options);
      if (killed) writeKilledNote(ctx, id, options, container.stopSignal);
    });
  },
};
