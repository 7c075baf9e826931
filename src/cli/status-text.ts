// statusText names a container's or process's status for a terminal:
// "running", "paused", "exited (137)", "exited (137, oom)", and for a
// container waiting out a restart's back-off "restarting (3, in 2s)".
import { timestampDate } from "@bufbuild/protobuf/wkt";

import { Status, type Container } from "../client/types.js";

export function statusText(status: Status, exitCode?: number, oomKilled = false): string {
  if (status === Status.STOPPED) return `exited (${exitDetail(exitCode, oomKilled)})`;
  return (Status[status] ?? String(status)).toLowerCase();
}

// containerStatusText adds what a container has beyond its init process:
// the last run's exit and when the next run is due, while it restarts.
export function containerStatusText(c: Container, now = new Date()): string {
  if (c.status !== Status.RESTARTING) return statusText(c.status, c.exitCode, c.oomKilled);
  const due = c.nextRestartAt === undefined ? undefined : timestampDate(c.nextRestartAt).getTime() - now.getTime();
  const when = due === undefined ? [] : [due <= 0 ? "now" : `in ${Math.ceil(due / 1000)}s`];
  return `restarting (${[exitDetail(c.exitCode, c.oomKilled), ...when].join(", ")})`;
}

function exitDetail(exitCode: number | undefined, oomKilled: boolean): string {
  return [exitCode ?? "?", ...(oomKilled ? ["oom"] : [])].join(", ");
}
