// berth attach: connect this terminal to a running process: its output to
// ours, our input to its stdin (when it was started with stdin), raw mode and
// window size when it has a terminal. Exits with the process's exit code;
// ^P ^Q detaches and leaves it running.
import { INIT_PROCESS_ID } from "../../errors/validate.js";
import { notFound } from "../../errors/berth-error.js";
import { attachTerminal } from "../attach-terminal.js";
import { flag, stringOption, type Command } from "../command.js";
import { withClient } from "../connect-client.js";
import { writeExitNotes } from "../exit-notes.js";
import { forwardSignals } from "../follow-process.js";

export const attachCommand: Command = {
  name: "attach",
  summary: "attach this terminal to a running process",
  usage: "[--process EXECID] [--logs] [--no-stdin] ID",
  positionals: { min: 1, max: 1 },
  options: [
    { name: "process", type: "string", value: "EXECID", help: "an exec'd process instead of the init process" },
    { name: "logs", type: "boolean", help: "first print what the process wrote before the attach" },
    { name: "no-stdin", type: "boolean", help: "do not send this terminal's input to the process" },
  ],
  details: "Output written before the attach is in `berth logs` (or use --logs).",
  async run(ctx) {
    const [id] = ctx.positionals as [string];
    const processId = stringOption(ctx, "process") ?? INIT_PROCESS_ID;
    return withClient(ctx.globals, async (client) => {
      const info = (await client.state(id)).processes.find((p) => p.id === processId);
      if (info === undefined) throw notFound(`process ${JSON.stringify(processId)} not found in container ${id}`);
      const stdin = info.stdin && !flag(ctx, "no-stdin");
      const raw = info.terminal && process.stdin.isTTY === true;
      const stopForwarding = raw ? () => {} : forwardSignals(client, id, processId, ctx.stderr);
      try {
        const status = await attachTerminal(client, id, { processId, stdin, tty: info.terminal, logs: flag(ctx, "logs") });
        if (status === undefined) return 0;
        writeExitNotes(ctx.stderr, processId === INIT_PROCESS_ID ? `container ${id}` : `process ${processId} of ${id}`, status);
        return status.exitCode;
      } finally {
        stopForwarding();
      }
    });
  },
};
