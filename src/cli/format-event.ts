// formatEvent prints one event as one line: time, sequence, libcontainerd
// state name, container, process, pid and exit code ("-" for events that
// are not exits), so that `berth events | grep exit` does what it says.
import { StateExit, StateExitProcess, stateInfoOf } from "../backend/backend.js";
import type { Event } from "../client/types.js";

export function formatEvent(event: Event): string {
  const info = stateInfoOf(event);
  const isExit = info.state === StateExit || info.state === StateExitProcess;
  return [
    info.timestamp.toISOString(),
    `#${event.sequence}`,
    info.state.padEnd(15),
    event.containerId,
    info.processId || "init",
    `pid=${info.pid || "-"}`,
    `exit=${isExit ? info.exitCode : "-"}`,
    ...(info.oomKilled ? ["oom-killed"] : []),
  ].join(" ");
}
