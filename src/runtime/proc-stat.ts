// readProcStat reads the fields of /proc/<pid>/stat that tell one process
// from a later one with its pid, and whether it still runs. It reads
// synchronously: procfs answers from the kernel's memory in microseconds,
// while a read through libuv's thread pool waits its turn behind every
// other file operation (milliseconds on a busy host), and Create, exec and
// Delete each probe more than one process.
import { readFileSync } from "node:fs";

export interface ProcStat {
  // state is the one-letter state (R, S, D, Z, X, ...).
  state: string;
  // startTime is when the process started, in clock ticks since boot
  // (field 22): with the pid, its identity.
  startTime: number;
  // waitStatus is the exit status in waitpid(2) form (field 52, Linux 3.5+).
  waitStatus: number | undefined;
}

// readProcStat returns undefined when no process has that pid.
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return undefined;
    throw err;
  }
  // comm (field 2) may hold spaces and parentheses: fields are counted from
  // the last ')'. rest[0] is field 3, so field n is rest[n - 3].
  const rest = text.slice(text.lastIndexOf(")") + 2).trim().split(" ");
  const waitStatus = rest[49] === undefined ? undefined : Number(rest[49]);
  return { state: rest[0] ?? "", startTime: Number(rest[19]), waitStatus };
}

// isGone says whether the process with this pid and start time has ended
// (a zombie has).
export function isGone(pid: number, startTime: number): boolean {
  const stat = readProcStat(pid);
  return stat === undefined || stat.startTime !== startTime || stat.state === "Z" || stat.state === "X";
}
