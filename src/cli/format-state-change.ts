// formatStateChange prints one state change as one line: time, sequence,
// libcontainerd state name, container, process, pid and exit code ("-" for
// changes that carry none: all but exits and the delete, which carries the
// last run's), so `berth events | grep exit` does what it says; a
// hook-failed event adds its stage and message.
import { StateDelete, StateExit, StateExitProcess, type StateInfo } from "../backend/backend.js";

export function formatStateChange(containerId: string, info: StateInfo): string {
  const isExit = info.state === StateExit || info.state === StateExitProcess || info.state === StateDelete;
  return [
    info.timestamp.toISOString(),
    `#${info.sequence}`,
    info.state.padEnd(15),
    containerId,
    info.processId || "init",
    `pid=${info.pid || "-"}`,
    `exit=${isExit ? info.exitCode : "-"}`,
    ...(info.oomKilled ? ["oom-killed"] : []),
    ...(info.monitorDied ? ["monitor-died"] : []),
    // hook-failed: which hook and why, quoted so the line stays one line.
    ...(info.hookStage !== undefined ? [`stage=${info.hookStage}`, `message=${JSON.stringify(info.hookMessage ?? "")}`] : []),
  ].join(" ");
}
