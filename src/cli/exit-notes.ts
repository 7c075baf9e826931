// exitNotes are the lines the CLI writes to stderr about how a process
// ended, beyond its exit code: an OOM kill, and an exit code that is not
// the process's own because its monitor died before recording it.
import type { ExitStatus } from "../client/types.js";

// what names the process: "container web" or "process e1 of web".
export function exitNotes(what: string, status: ExitStatus): string[] {
  const notes: string[] = [];
  if (status.oomKilled) notes.push(`berth: ${what} was killed: out of memory`);
  if (status.monitorDied) notes.push(`berth: ${what} ended, but its monitor (conmon) died before recording how: exit code ${status.exitCode} is not its own`);
  return notes;
}

export function writeExitNotes(stderr: NodeJS.WritableStream, what: string, status: ExitStatus): void {
  for (const line of exitNotes(what, status)) stderr.write(`${line}\n`);
}
