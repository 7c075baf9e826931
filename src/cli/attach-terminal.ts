// attachTerminal connects the user's terminal to a process through Attach:
// the process's stdout and stderr to ours, our stdin to its stdin, and, when
// the process has a terminal and ours is one too, raw mode (every key goes to
// the process, ^C included, and its terminal does the echoing) with our
// window size kept in step (SIGWINCH). It returns the process's exit status;
// ^P ^Q detaches from a terminal instead, leaving the process running.
import type { AttachInput, Client } from "../client/client.js";
import { LogStream, type ExitStatus } from "../client/types.js";
import { BerthError } from "../errors/berth-error.js";
import { AsyncQueue } from "../io/async-queue.js";

export interface TerminalIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WritableStream;
}

export interface AttachTerminalOptions {
  processId: string;
  // stdin sends our stdin to the process; its end closes the process's stdin.
  stdin: boolean;
  // tty puts our terminal in raw mode (when it is one) and forwards resizes.
  tty: boolean;
  // logs replays what the process wrote before the attach.
  logs: boolean;
}

// The detach sequence, as docker's: ^P then ^Q.
const DETACH = [0x10, 0x11];

// attachTerminal returns undefined when the user detached.
export async function attachTerminal(client: Client, id: string, options: AttachTerminalOptions, io: TerminalIO = process): Promise<ExitStatus | undefined> {
  const detach = new AbortController();
  const raw = options.tty && io.stdin.isTTY === true;
  const input = new AsyncQueue<AttachInput>();
  const cleanups: Array<() => void> = [];
  if (raw) {
    io.stdin.setRawMode(true);
    const onResize = () => {
      if (io.stdout.columns && io.stdout.rows) input.push({ resize: { width: io.stdout.columns, height: io.stdout.rows } });
    };
    onResize();
    io.stdout.on("resize", onResize);
    cleanups.push(() => io.stdout.off("resize", onResize));
  }
  if (options.stdin) {
    let matched = 0;
    const onData = (chunk: Buffer) => {
      if (raw) {
        // ^P ^Q detaches; a ^P not followed by ^Q is passed on.
        for (const byte of chunk) matched = byte === DETACH[matched] ? matched + 1 : byte === DETACH[0] ? 1 : 0;
        if (matched === DETACH.length) {
          detach.abort();
          return;
        }
      }
      input.push(new Uint8Array(chunk));
    };
    const onEnd = () => input.push({ closeStdin: true });
    io.stdin.on("data", onData);
    io.stdin.once("end", onEnd);
    cleanups.push(() => {
      io.stdin.off("data", onData);
      io.stdin.off("end", onEnd);
      io.stdin.pause();
    });
  }
  let status: ExitStatus | undefined;
  try {
    for await (const out of client.attach(id, { processId: options.processId, logs: options.logs, input, signal: detach.signal })) {
      if ("exit" in out) status = out.exit;
      else (out.stream === LogStream.STDERR ? io.stderr : io.stdout).write(out.data);
    }
  } finally {
    input.end();
    for (const cleanup of cleanups) cleanup();
    if (raw) io.stdin.setRawMode(false);
  }
  if (detach.signal.aborted) {
    io.stderr.write(`${raw ? "\r\n" : ""}berth: detached from ${id}; it keeps running\n`);
    return undefined;
  }
  if (status === undefined) throw new BerthError("unavailable", `the attach to ${id} ended without the process's exit status`);
  return status;
}
