// Client is libcontainerd's Client, widened by what containerd and the
// Runtime seed add (Delete, Wait, State, List, CloseStdin, Logs). Two
// implementations pass one contract suite: LocalClient drives the engine in
// this process, GrpcClient calls a daemon over its socket. Inputs are plain
// objects shaped like the proto messages; outputs are the generated message
// types, so a value means the same thing on both sides of the wire.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  Container,
  ExitStatus,
  LogStream,
  ProcessInfo,
  ProcessSummary,
  Stats,
  Status,
  WaitCondition,
} from "./types.js";
import type { CreateRequestSchema, ProcessSpecSchema, ResourcesSchema } from "./types.js";
import type { Event, EventType } from "./types.js";

export type CreateOptions = Omit<MessageInitShape<typeof CreateRequestSchema>, "id" | "$typeName">;
export type ProcessOptions = Omit<MessageInitShape<typeof ProcessSpecSchema>, "$typeName">;
export type ResourceOptions = Omit<MessageInitShape<typeof ResourcesSchema>, "$typeName">;

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

// A signal is a number (9) or a name ("SIGKILL", "KILL").
export type SignalLike = number | string;

export interface Client {
  readonly namespace: string;

  create(id: string, options?: CreateOptions): Promise<Container>;
  signal(id: string, signal: SignalLike, options?: { all?: boolean }): Promise<void>;
  signalProcess(id: string, processId: string, signal: SignalLike): Promise<void>;
  addProcess(id: string, processId: string, process: ProcessOptions): Promise<ProcessInfo>;
  resize(id: string, processId: string, width: number, height: number): Promise<void>;
  closeStdin(id: string, processId: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  restore(id: string): Promise<Container>;
  stats(id: string): Promise<Stats>;
  getPidsForContainer(id: string): Promise<number[]>;
  summary(id: string): Promise<ProcessSummary[]>;
  updateResources(id: string, resources: ResourceOptions): Promise<void>;
  delete(id: string, options?: { force?: boolean }): Promise<ExitStatus>;
  wait(id: string, options?: WaitOptions): Promise<ExitStatus>;
  state(id: string): Promise<Container>;
  list(filter?: ListFilter): Promise<Container[]>;
  logs(id: string, options?: LogOptions): AsyncIterable<LogLine>;
  subscribe(options?: SubscribeOptions): AsyncIterable<Event>;
  // close stops delivering events to the backend and releases connections.
  close(): Promise<void>;
}
