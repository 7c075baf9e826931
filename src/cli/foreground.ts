// foreground follows a process the CLI started until it exits and returns
// how it ended: through Attach when it is interactive (-i or -t: the user's
// terminal becomes the process's), otherwise through its log. Undefined
// means the user detached (^P ^Q) and the process runs on.
import type { Client } from "../client/client.js";
import type { ExitStatus } from "../client/types.js";
import { attachTerminal } from "./attach-terminal.js";
import { flag, type CommandContext } from "./command.js";
import { followProcess, forwardSignals } from "./follow-process.js";

export async function foreground(client: Client, id: string, processId: string, ctx: CommandContext): Promise<ExitStatus | undefined> {
  const stdin = flag(ctx, "interactive");
  const tty = flag(ctx, "tty");
  if (!stdin && !tty) return followProcess(client, id, processId, ctx);
  // In raw mode ^C is a key for the process's terminal; otherwise the CLI's
  // signals are passed on as followProcess does.
  const raw = tty && process.stdin.isTTY === true;
  const stopForwarding = raw ? () => {} : forwardSignals(client, id, processId, ctx.stderr);
  try {
    return await attachTerminal(client, id, { processId, stdin, tty, logs: true });
  } finally {
    stopForwarding();
  }
}
