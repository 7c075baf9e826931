// berth's public API, hand-picked: the Remote that starts or reaches a
// daemon, the Client it hands out (in-process or over gRPC), the Backend
// that hears state changes, and the one error type. Everything else under
// src/ is internal and may change without notice.
export {
  Remote,
  DEFAULT_SOCKET,
  DEFAULT_STATE_DIR,
  VERSION,
  type RemoteOptions,
  type UpdatableOptions,
  type ClientOptions,
} from "./remote/remote.js";
export type { TcpOptions } from "./remote/server.js";
export type { DaemonOptions } from "./api/daemon-options.js";
export { createLogger, type Logger, type LoggerSettings } from "./log/create-logger.js";
export { LOG_LEVELS, type LogLevel, type LogFormat } from "./log/log-level.js";
export type { VersionInfo } from "./api/version-info.js";
export { DEFAULT_NAMESPACE, NAMESPACE_HEADER } from "./wire/namespace-header.js";

export type {
  Client,
  CreateOptions,
  ProcessOptions,
  ResourceOptions,
  WaitOptions,
  ListFilter,
  LogOptions,
  LogLine,
  SubscribeOptions,
  SignalLike,
  AttachInput,
  AttachOptions,
  AttachOutput,
  CopySource,
  CopyFileContent,
  CopyToOptions,
  CopyToResult,
  CopyFromOptions,
  CopyFromResult,
} from "./client/client.js";
export { type PathStat, PathType } from "./gen/berth/v1/copy_pb.js";
export {
  type Container,
  type ExitStatus,
  type ProcessInfo,
  type ProcessSummary,
  type Stats,
  type Event,
  type ProcessSpec,
  type Resources,
  type HostInfo,
  Status,
  EventType,
  LogStream,
  WaitCondition,
  RestartPolicy_Kind,
} from "./client/types.js";
export { GrpcClient, type GrpcClientOptions } from "./client/grpc-client.js";
export type { WireProtocol } from "./client/transport.js";
export { LocalClient } from "./client/local-client.js";

export {
  type Backend,
  type StateInfo,
  type StateName,
  type IOPipe,
  StateStart,
  StatePause,
  StateResume,
  StateExit,
  StateRestart,
  StateRestore,
  StateStartProcess,
  StateExitProcess,
  StateOOM,
  StateCreate,
  StateDelete,
  StateHookFailed,
  InitFriendlyName,
  stateName,
  stateInfoOf,
  eventTypeOf,
  noopBackend,
} from "./backend/backend.js";

export { BerthError, isBerthError, type ErrorCode } from "./errors/berth-error.js";

// The test rig (testcontainers-node's API for berth): a container builder,
// wait strategies, and run labels that let a later run reap what a crashed
// one left.
export { ContainerBuilder, BUSYBOX, DEFAULT_STARTUP_TIMEOUT_MS, type ExposedPort, type StartOptions } from "./rig/container-builder.js";
export { StartedContainer } from "./rig/started-container.js";
export type { FileToCopy, ContentToCopy } from "./rig/container-copies.js";
export type { ExecResult, ExecOptions } from "./rig/exec-in-container.js";
export { Wait } from "./rig/wait/wait.js";
export { WaitStrategy, PollingWait, type WaitTarget, type Probe } from "./rig/wait/wait-strategy.js";
export { RigRun, currentRun, reapAbandoned, removeRun } from "./rig/rig-run.js";
export { RUN_LABEL } from "./rig/run-labels.js";
