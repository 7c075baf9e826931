// Backend is libcontainerd's callback interface: what a user of a Client
// implements to hear about state changes and to receive a new process's
// stdio. It knows nothing of gRPC or runc.
import type { Readable, Writable } from "node:stream";
import { EventType, type Event } from "../gen/berth/v1/types_pb.js";

// The state names are libcontainerd's, so code written against it reads the
// same here.
export const StateStart = "start-container";
export const StatePause = "pause";
export const StateResume = "resume";
export const StateExit = "exit";
export const StateRestart = "restart";
export const StateRestore = "restore";
export const StateStartProcess = "start-process";
export const StateExitProcess = "exit-process";
export const StateOOM = "oom";
export const StateCreate = "create";
export const StateDelete = "delete";
// StateHookFailed: a poststop hook failed (StateInfo.hookStage and
// hookMessage say which and why).
export const StateHookFailed = "hook-failed";
export const StateNetworkCreate = "network-create";
export const StateNetworkRemove = "network-remove";
export const StateConnect = "connect";
export const StateDisconnect = "disconnect";

export type StateName =
  | typeof StateStart
  | typeof StatePause
  | typeof StateResume
  | typeof StateExit
  | typeof StateRestart
  | typeof StateRestore
  | typeof StateStartProcess
  | typeof StateExitProcess
  | typeof StateOOM
  | typeof StateCreate
  | typeof StateDelete
  | typeof StateHookFailed
  | typeof StateNetworkCreate
  | typeof StateNetworkRemove
  | typeof StateConnect
  | typeof StateDisconnect;

const NAME_BY_TYPE: Record<EventType, StateName | undefined> = {
  [EventType.UNSPECIFIED]: undefined,
  [EventType.START_CONTAINER]: StateStart,
  [EventType.PAUSE]: StatePause,
  [EventType.RESUME]: StateResume,
  [EventType.EXIT]: StateExit,
  [EventType.RESTART]: StateRestart,
  [EventType.RESTORE]: StateRestore,
  [EventType.START_PROCESS]: StateStartProcess,
  [EventType.EXIT_PROCESS]: StateExitProcess,
  [EventType.OOM]: StateOOM,
  [EventType.CREATE]: StateCreate,
  [EventType.DELETE]: StateDelete,
  [EventType.HOOK_FAILED]: StateHookFailed,
  [EventType.NETWORK_CREATE]: StateNetworkCreate,
  [EventType.NETWORK_REMOVE]: StateNetworkRemove,
  [EventType.NETWORK_CONNECT]: StateConnect,
  [EventType.NETWORK_DISCONNECT]: StateDisconnect,
  // Image events concern no container, so no Backend hears them.
  [EventType.IMAGE_PULL]: undefined,
  [EventType.IMAGE_LOAD]: undefined,
  [EventType.IMAGE_TAG]: undefined,
  [EventType.IMAGE_UNTAG]: undefined,
  [EventType.IMAGE_DELETE]: undefined,
};

// isImageEvent tells an image event (types 20-29, no container) from a
// container's.
export function isImageEvent(type: EventType): boolean {
  return type >= 20 && type <= 29;
}

export function stateName(type: EventType): StateName {
  const name = NAME_BY_TYPE[type];
  if (name === undefined) throw new Error(`event type ${type} has no state name`);
  return name;
}

export function eventTypeOf(name: string): EventType | undefined {
  for (const [type, n] of Object.entries(NAME_BY_TYPE)) if (n === name) return Number(type) as EventType;
  return undefined;
}

// InitFriendlyName is the process id of a container's first process.
export const InitFriendlyName = "init";

// StateInfo is what stateChanged receives: libcontainerd's StateInfo.
export interface StateInfo {
  state: StateName;
  processId: string;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  // monitorDied: the monitor died before recording the exit; exitCode is 255.
  monitorDied: boolean;
  sequence: bigint;
  timestamp: Date;
  namespace: string;
  // hookStage and hookMessage are set on hook-failed.
  hookStage?: string;
  hookMessage?: string;
}

export function stateInfoOf(event: Event): StateInfo {
  return {
    state: stateName(event.type),
    processId: event.processId,
    pid: event.pid,
    exitCode: event.exitCode,
    oomKilled: event.oomKilled,
    monitorDied: event.monitorDied,
    sequence: event.sequence,
    timestamp: event.timestamp
      ? new Date(Number(event.timestamp.seconds) * 1000 + Math.floor(event.timestamp.nanos / 1e6))
      : new Date(0),
    namespace: event.namespace,
    ...(event.hookStage !== "" && { hookStage: event.hookStage, hookMessage: event.hookMessage }),
  };
}

// IOPipe is a process's stdio as libcontainerd hands it to the backend.
export interface IOPipe {
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable | null;
  terminal: boolean;
}

export interface Backend {
  // stateChanged is called once per event, in sequence order. A thrown error
  // or rejected promise is reported, never allowed to stop delivery.
  stateChanged(containerId: string, state: StateInfo): void | Promise<void>;
  // attachStreams is called when a new process starts, with its stdio.
  attachStreams?(containerId: string, processId: string, io: IOPipe): void | Promise<void>;
}

// A Backend that ignores everything, for callers that only issue commands.
export const noopBackend: Backend = { stateChanged() {} };
