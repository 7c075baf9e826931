// Terminal and stdin control of a process through its monitor: conmon reads
// "<type> <height> <width>\n" lines from the ctl fifo in its bundle folder
// (type 1 resizes the pty, which sends SIGWINCH to the process); stdin goes
// through its attach socket.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

import { BerthError, failedPrecondition, invalidArgument } from "../errors/berth-error.js";
import { INIT_PROCESS_ID } from "../errors/validate.js";
import { stdinOf } from "../runtime/process-stdin.js";
import { ExecPaths } from "./layout.js";
import type { ManagedContainer } from "./managed-container.js";
import type { ManagedProcess } from "./managed-process.js";

export function processOf(c: ManagedContainer, processId: string): ManagedProcess {
  return processId === INIT_PROCESS_ID ? c.init : c.execs.get(processId);
}

// monitorDir is the folder conmon was given as its bundle for the process.
export function monitorDir(c: ManagedContainer, processId: string): string {
  return processId === INIT_PROCESS_ID ? c.paths.bundle : c.paths.execDir(processId);
}

// logPathOf is the process's k8s-file log.
export function logPathOf(c: ManagedContainer, processId: string): string {
  return processId === INIT_PROCESS_ID ? c.paths.log : new ExecPaths(c.paths.execDir(processId)).log;
}

export async function resizeTerminal(c: ManagedContainer, processId: string, width: number, height: number): Promise<void> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw invalidArgument(`terminal size ${width}x${height} is not valid: width and height must be 1 to 65535`);
  }
  const p = processOf(c, processId);
  p.state.require("resize", "running", "paused");
  if (!p.terminal) throw failedPrecondition(`cannot resize process ${processId}: it has no terminal (create it with terminal: true)`);
  await writeControl(join(monitorDir(c, processId), "ctl"), `1 ${height} ${width}\n`);
}

async function writeControl(fifo: string, line: string): Promise<void> {
  let fh;
  try {
    // Non-blocking: with no reader (monitor gone) open fails at once with
    // ENXIO instead of hanging.
    fh = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENXIO" || code === "ENOENT") throw failedPrecondition(`the process's monitor is not listening on ${fifo}: it has exited`);
    throw new BerthError("internal", `cannot open ${fifo}: ${(err as Error).message}`);
  }
  try {
    await fh.write(line);
  } finally {
    await fh.close();
  }
}

// closeStdin closes a process's stdin through its monitor's attach socket
// (see src/runtime/process-stdin.ts): a `cat` reading it sees end of input.
export async function closeStdin(c: ManagedContainer, processId: string): Promise<void> {
  const p = processOf(c, processId);
  p.state.require("close stdin of", "running", "paused");
  await stdinOf(p, monitorDir(c, processId)).close();
}
