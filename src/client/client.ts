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
  // attach connects to a process's stdio: input in, output out, the exit
  // status last. Several clients may attach at once; detaching (the signal)
  // leaves the process running.
  attach(id: string, options?: AttachOptions): AsyncIterable<AttachOutput>;
  subscribe(options?: SubscribeOptions): AsyncIterable<Event>;
  // close stops delivering events to the backend and releases connections.
  close(): Promise<void>;
}
