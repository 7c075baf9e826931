// attachProcess is Attach on the daemon's side. Output comes from the
// process's log file, not from conmon's attach socket: conmon writes every
// chunk to the log before anything else and never waits for a reader there,
// so a slow or stalled client can never block the process, each client reads
// at its own pace with a bounded buffer, and a client that attaches late can
// replay exactly what it missed. Input goes through the process's one stdin
// connection (src/runtime/process-stdin.ts). The exit status is sent last,
// once the log is read to its end after the exit (conmon drains output
// before it reports an exit, so no output can follow it).
import type { AttachInput, AttachOptions, AttachOutput, LogLine } from "../api/client-options.js";
import { exitStatusOf, type ExitInfo, type ManagedProcess } from "../engine/managed-process.js";
import type { LogStream } from "../gen/berth/v1/types_pb.js";
import { LogFile, LogWatch } from "../runtime/log-file.js";
import { stdinOf } from "../runtime/process-stdin.js";
import { untilAborted } from "./until-aborted.js";

const POLL_MS = 250;
// MAX_CHUNK bounds one output message; records of one stream are joined up
// to it so that many short lines do not become many messages.
const MAX_CHUNK = 64 * 1024;
const NEWLINE = Uint8Array.of(10);

export interface AttachTarget {
  process: ManagedProcess;
  // monitorDir holds conmon's attach socket for the process.
  monitorDir: string;
  logPath: string;
  resize(width: number, height: number): Promise<void>;
}

export async function* attachProcess(target: AttachTarget, options: AttachOptions = {}): AsyncGenerator<AttachOutput> {
  const p = target.process;
  const ended = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, ended.signal]) : ended.signal;
  const file = await LogFile.open(target.logPath, options.logs ? "start" : "end");
  const changes = new LogWatch(target.logPath);
  let exit: ExitInfo | undefined = p.exit;
  const exited = p.exited(signal).then((e) => (exit = e));
  exited.catch(() => {});
  let inputError: unknown;
  if (options.input !== undefined) {
    pumpInput(options.input, target, signal).catch((err: unknown) => {
      // Input that races the exit (a keystroke as the shell ends) is moot.
      if (exit === undefined && !signal.aborted) inputError = err;
      ended.abort();
    });
  }
  try {
    while (!signal.aborted) {
      const wasExited = exit !== undefined;
      const lines = await file.read();
      yield* chunksOf(lines);
      if (wasExited && lines.length === 0) {
        yield { exit: exitStatusOf(exit!) };
        return;
      }
      if (lines.length === 0) await changes.wait(POLL_MS, signal, exited);
    }
    if (inputError !== undefined) throw inputError;
    // Otherwise the caller detached: the output ends quietly.
  } finally {
    ended.abort();
    changes.close();
    await file.close();
  }
}

// pumpInput hands the client's input to the process until the input ends,
// fails, or the attach ends.
async function pumpInput(input: AsyncIterable<AttachInput>, target: AttachTarget, signal: AbortSignal): Promise<void> {
  const stdin = stdinOf(target.process, target.monitorDir);
  for await (const msg of untilAborted(input, signal)) {
    if (msg instanceof Uint8Array) {
      if (msg.length > 0) await stdin.write(msg);
    } else if ("resize" in msg) {
      await target.resize(msg.resize.width, msg.resize.height);
    } else if (msg.closeStdin) {
      await stdin.close();
    }
  }
}

// chunksOf turns log records back into the bytes the process wrote: a full
// record ended with a newline, a partial one did not.
function* chunksOf(lines: LogLine[]): Generator<AttachOutput> {
  let stream: LogStream | undefined;
  let parts: Uint8Array[] = [];
  let size = 0;
  for (const l of lines) {
    if (stream !== undefined && (l.stream !== stream || size >= MAX_CHUNK)) {
      yield { stream, data: Buffer.concat(parts, size) };
      parts = [];
      size = 0;
    }
    stream = l.stream;
    parts.push(l.line);
    size += l.line.length;
    if (!l.partial) {
      parts.push(NEWLINE);
      size += 1;
    }
  }
  if (stream !== undefined && size > 0) yield { stream, data: Buffer.concat(parts, size) };
}
