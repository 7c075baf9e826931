// statusText names a container's or process's status for a terminal:
// "running", "paused", "exited (137)", "exited (137, oom)".
import { Status } from "../client/types.js";

export function statusText(status: Status, exitCode?: number, oomKilled = false): string {
  if (status === Status.STOPPED) {
    const detail = [exitCode ?? "?", ...(oomKilled ? ["oom"] : [])].join(", ");
    return `exited (${detail})`;
  }
  return (Status[status] ?? String(status)).toLowerCase();
}
