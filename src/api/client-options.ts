// The shapes the Client API takes and gives besides the generated
// messages: every layer that serves or calls the API (engine, io, client)
// shares them, so they live below all of those.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateRequestSchema, UpdateRequestSchema, WaitCondition } from "../gen/berth/v1/containers_pb.js";
import type { CreateNetworkRequestSchema, Network, NetworkEndpoint } from "../gen/berth/v1/networks_pb.js";
import type { PullProgress } from "../gen/berth/v1/images_pb.js";
import type { Container, ContainerConfig, EventType, ExitStatus, LogStream, ProcessSpecSchema, ResourcesSchema, Status } from "../gen/berth/v1/types_pb.js";

export type CreateOptions = Omit<MessageInitShape<typeof CreateRequestSchema>, "id" | "$typeName">;
export type ProcessOptions = Omit<MessageInitShape<typeof ProcessSpecSchema>, "$typeName">;
export type ResourceOptions = Omit<MessageInitShape<typeof ResourcesSchema>, "$typeName">;
export type CreateNetworkOptions = Omit<MessageInitShape<typeof CreateNetworkRequestSchema>, "$typeName">;

// NetworkInspectResult is a network and the containers attached to it.
export interface NetworkInspectResult {
  network: Network;
  endpoints: NetworkEndpoint[];
}

// Revisioned is taken by every call that changes a container: with
// expectedRevision set, the call fails with ABORTED (changing nothing)
// unless the container's revision is that one.
export interface Revisioned {
  expectedRevision?: bigint;
}

export interface StopOptions extends Revisioned {
  // signal overrides the container's stop signal.
  signal?: SignalLike;
  // timeoutSeconds before SIGKILL: 10 by default, 0 kills at once.
  timeoutSeconds?: number;
}

export interface StopResult {
  // exitStatus is the stopped run's exit; undefined for a container that
  // never started.
  exitStatus?: ExitStatus;
  // killed: the container outlived the timeout and was killed.
  killed: boolean;
  container: Container;
}

export interface RestartResult {
  container: Container;
  killed: boolean;
}

// UpdateOptions are the changes Update makes in one step; labels replaces
// every label, runState moves the container after the change.
export type UpdateOptions = Omit<MessageInitShape<typeof UpdateRequestSchema>, "id" | "$typeName" | "labels" | "expectedRevision"> & {
  labels?: Record<string, string>;
  expectedRevision?: bigint;
};

export interface InspectResult {
  container: Container;
  config: ContainerConfig;
  // sizeRwBytes is the writable layer's size, when asked for.
  sizeRwBytes?: bigint;
}

export interface WaitOptions {
  processId?: string;
  condition?: WaitCondition;
  signal?: AbortSignal;
}

export interface ListFilter {
  statuses?: Status[];
  labels?: Record<string, string>;
}

export interface LogOptions {
  processId?: string;
  stdout?: boolean;
  stderr?: boolean;
  tail?: number;
  since?: Date;
  until?: Date;
  follow?: boolean;
  signal?: AbortSignal;
}

export interface LogLine {
  time: Date;
  stream: LogStream;
  line: Uint8Array;
  partial: boolean;
}

export interface SubscribeOptions {
  containerIds?: string[];
  types?: EventType[];
  sinceSequence?: bigint;
  since?: Date;
  until?: Date;
  allNamespaces?: boolean;
  signal?: AbortSignal;
}

// AttachInput is what a client sends to an attached process, in order:
// bytes for its stdin, a new size for its terminal, or the end of its stdin.
export type AttachInput = Uint8Array | { resize: { width: number; height: number } } | { closeStdin: true };

export interface AttachOptions {
  // processId is the process to attach to; the init process by default.
  processId?: string;
  // input feeds the process. When it ends, only this client's input ends:
  // the process's stdin stays open for other clients unless closeStdin was
  // sent. Bytes need a process started with stdin: true.
  input?: AsyncIterable<AttachInput>;
  // logs first replays what the process wrote before this attach, then goes
  // on live, so a client that attaches late misses nothing.
  logs?: boolean;
  // signal detaches: the output ends quietly and the process runs on.
  signal?: AbortSignal;
}

// AttachOutput is a chunk of the process's stdout or stderr (a terminal's
// output is all stdout), or, last, its exit status.
export type AttachOutput = { stream: LogStream; data: Uint8Array } | { exit: ExitStatus };

// A signal is a number (9) or a name ("SIGKILL", "KILL").
export type SignalLike = number | string;

// PullOptions are a pull's settings besides the reference.
export interface PullOptions {
  // platform is "os/architecture[/variant]" to choose from an index; the
  // daemon host's by default.
  platform?: string;
  // signal cancels the pull (CANCELLED); nothing half-written stays.
  signal?: AbortSignal;
  // onProgress hears each layer's progress as it happens.
  onProgress?: (progress: PullProgress) => void;
}

export interface LoginOptions {
  username: string;
  password: string;
  signal?: AbortSignal;
}
