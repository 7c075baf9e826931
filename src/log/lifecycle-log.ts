// logEvent writes the line a published event deserves: every state change
// of a container or process at info (created, started, exited with its
// code, restored, deleted, ...), and what went wrong at warn (an OOM kill,
// an exit whose monitor died, a failed poststop hook). Each line carries the
// namespace, the container id and the process id, so `jq 'select(.container
// == "web")'` follows one container. Events hold no environment and no
// request body, so nothing secret can reach a line from here.
import type { Logger } from "pino";
import { EventType, type Event } from "../gen/berth/v1/types_pb.js";

type Level = "info" | "warn";

const MESSAGES: Partial<Record<EventType, [Level, string]>> = {
  [EventType.CREATE]: ["info", "container created"],
  [EventType.START_CONTAINER]: ["info", "container started"],
  [EventType.PAUSE]: ["info", "container paused"],
  [EventType.RESUME]: ["info", "container resumed"],
  [EventType.EXIT]: ["info", "container exited"],
  [EventType.RESTART]: ["info", "container restarted"],
  [EventType.RESTORE]: ["info", "container restored"],
  [EventType.START_PROCESS]: ["info", "process started"],
  [EventType.EXIT_PROCESS]: ["info", "process exited"],
  [EventType.OOM]: ["warn", "container out of memory: a process was OOM-killed"],
  [EventType.DELETE]: ["info", "container deleted"],
  [EventType.HOOK_FAILED]: ["warn", "poststop hook failed"],
  [EventType.NETWORK_CREATE]: ["info", "network created"],
  [EventType.NETWORK_REMOVE]: ["info", "network removed"],
  [EventType.NETWORK_CONNECT]: ["info", "container connected to a network"],
  [EventType.NETWORK_DISCONNECT]: ["info", "container disconnected from a network"],
};

const INFO = 30;

export function logEvent(logger: Logger, event: Event): void {
  if (logger.levelVal > INFO) {
    if (logger.levelVal > 40 || !isWarning(event)) return;
  }
  const known = MESSAGES[event.type];
  let [level, msg] = known ?? (["info", `event ${event.type}`] as [Level, string]);
  const exited = event.type === EventType.EXIT || event.type === EventType.EXIT_PROCESS || event.type === EventType.DELETE;
  if (exited && event.monitorDied) {
    level = "warn";
    msg += ": its monitor (conmon) died before recording the exit code";
  } else if (exited && event.oomKilled) {
    level = "warn";
    msg += " (OOM-killed)";
  }
  const line: Record<string, unknown> = { namespace: event.namespace, seq: Number(event.sequence) };
  if (event.containerId !== "") line.container = event.containerId;
  if (event.processId !== "") line.process = event.processId;
  if (event.pid !== 0) line.pid = event.pid;
  if (exited) line.exitCode = event.exitCode;
  if (event.type === EventType.HOOK_FAILED) line.hook = { stage: event.hookStage, message: event.hookMessage };
  if (event.network !== "") line.network = event.network;
  if (event.address !== "") line.address = event.address;
  logger[level](line, msg);
}

function isWarning(event: Event): boolean {
  return event.type === EventType.OOM || event.type === EventType.HOOK_FAILED || event.monitorDied || event.oomKilled;
}
