// followProcess copies a process's output to the terminal until it exits
// and returns how it ended. Ctrl-C and SIGTERM meanwhile go to the process,
// not to the CLI, so the process decides how to stop (as `docker run` does);
// a second one sends SIGKILL, for a process that ignores the first (a shell
// running as pid 1 ignores SIGINT and SIGTERM unless it traps them).
import type { Client } from "../client/client.js";
import type { ExitStatus } from "../client/types.js";
import { BerthError } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { writeLogLines } from "./write-log-lines.js";

export interface FollowOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function followProcess(client: Client, id: string, processId: string, options: FollowOptions): Promise<ExitStatus> {
  const stopForwarding = forwardSignals(client, id, processId, options.stderr);
  try {
    await writeLogLines(client.logs(id, { processId, follow: true }), options);
    return await client.wait(id, { processId });
  } finally {
    stopForwarding();
  }
}

// forwardSignals sends the CLI's SIGINT and SIGTERM to the process (the
// second as SIGKILL) until the returned function is called.
export function forwardSignals(client: Client, id: string, processId: string, stderr: NodeJS.WritableStream): () => void {
  let forwarded = 0;
  const forward = (received: NodeJS.Signals) => {
    const signal = forwarded++ === 0 ? received : "SIGKILL";
    const sent = processId === INIT_PROCESS_ID ? client.signal(id, signal) : client.signalProcess(id, processId, signal);
    sent.catch((err: unknown) => stderr.write(`berth: cannot forward ${signal}: ${BerthError.from(err).message}\n`));
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return () => {
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
  };
}
