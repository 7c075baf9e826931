// Client is libcontainerd's Client, widened by what containerd and the
// Runtime seed add (Delete, Wait, State, List, CloseStdin, Logs). Two
// implementations pass one contract suite: LocalClient drives the engine in
// this process, GrpcClient calls a daemon over its socket. Inputs are plain
// objects shaped like the proto messages; outputs are the generated message
// types, so a value means the same thing on both sides of the wire.
import type { Container, ExitStatus, ProcessInfo, ProcessSummary, Stats, Event } from "./types.js";
import type {
  AttachOptions,
  AttachOutput,
  CreateOptions,
  ListFilter,
  LogLine,
  LogOptions,
  ProcessOptions,
  ResourceOptions,
  SignalLike,
  SubscribeOptions,
  WaitOptions,
} from "../api/client-options.js";

export type {
  AttachInput,
  AttachOptions,
  AttachOutput,
  CreateOptions,
  ListFilter,
  LogLine,
  LogOptions,
  ProcessOptions,
  ResourceOptions,
  SignalLike,
  SubscribeOptions,
  WaitOptions,
} from "../api/client-options.js";

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
