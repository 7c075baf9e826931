// Client is libcontainerd's Client, widened by what containerd and the
// Runtime seed add (Delete, Wait, State, List, CloseStdin, Logs). Two
// implementations pass one contract suite: LocalClient drives the engine in
// this process, GrpcClient calls a daemon over its socket. Inputs are plain
// objects shaped like the proto messages; outputs are the generated message
// types, so a value means the same thing on both sides of the wire.
import type { Container, ExitStatus, Network, ProcessInfo, ProcessSummary, Stats, Event, PulledImage } from "./types.js";
import type {
  AttachOptions,
  AttachOutput,
  CreateNetworkOptions,
  CreateOptions,
  InspectResult,
  ListFilter,
  NetworkInspectResult,
  LogLine,
  LoginOptions,
  LogOptions,
  ProcessOptions,
  PullOptions,
  ResourceOptions,
  RestartResult,
  Revisioned,
  SignalLike,
  StopOptions,
  StopResult,
  SubscribeOptions,
  UpdateOptions,
  WaitOptions,
} from "../api/client-options.js";

import type { DaemonOptions, UpdatableOptions } from "../api/daemon-options.js";
import type { CopyFromOptions, CopyFromResult, CopySource, CopyToOptions, CopyToResult } from "../api/copy-options.js";
import type { ImageListOptions, ImagePruneOptions, ImagePruneResult, ImageRemoveOptions, ImageRemoveResult, ImageStreamOptions } from "../api/image-options.js";
import type { Image } from "../gen/berth/v1/images_pb.js";

export type * from "../api/client-options.js";
export type * from "../api/copy-options.js";
export type * from "../api/image-options.js";
export type * from "../api/daemon-options.js";

export interface Client {
  readonly namespace: string;

  create(id: string, options?: CreateOptions): Promise<Container>;
  // start starts a created or stopped container; a running one is left as is.
  start(id: string, options?: Revisioned): Promise<Container>;
  // stop signals the container, waits, then kills it (see StopOptions).
  stop(id: string, options?: StopOptions): Promise<StopResult>;
  restart(id: string, options?: StopOptions): Promise<RestartResult>;
  update(id: string, options: UpdateOptions): Promise<Container>;
  inspect(id: string, options?: { size?: boolean }): Promise<InspectResult>;
  signal(id: string, signal: SignalLike, options?: { all?: boolean } & Revisioned): Promise<void>;
  signalProcess(id: string, processId: string, signal: SignalLike, options?: Revisioned): Promise<void>;
  addProcess(id: string, processId: string, process: ProcessOptions, options?: Revisioned): Promise<ProcessInfo>;
  resize(id: string, processId: string, width: number, height: number, options?: Revisioned): Promise<void>;
  closeStdin(id: string, processId: string, options?: Revisioned): Promise<void>;
  pause(id: string, options?: Revisioned): Promise<void>;
  resume(id: string, options?: Revisioned): Promise<void>;
  restore(id: string): Promise<Container>;
  stats(id: string): Promise<Stats>;
  getPidsForContainer(id: string): Promise<number[]>;
  summary(id: string): Promise<ProcessSummary[]>;
  updateResources(id: string, resources: ResourceOptions, options?: Revisioned): Promise<void>;
  delete(id: string, options?: { force?: boolean } & Revisioned): Promise<ExitStatus>;
  wait(id: string, options?: WaitOptions): Promise<ExitStatus>;
  state(id: string): Promise<Container>;
  list(filter?: ListFilter): Promise<Container[]>;
  logs(id: string, options?: LogOptions): AsyncIterable<LogLine>;
  // attach connects to a process's stdio: input in, output out, the exit
  // status last. Several clients may attach at once; detaching (the signal)
  // leaves the process running.
  attach(id: string, options?: AttachOptions): AsyncIterable<AttachOutput>;
  subscribe(options?: SubscribeOptions): AsyncIterable<Event>;
  // Networks belong to the daemon, not to the client's namespace; their
  // create and remove events go out in the client's namespace.
  createNetwork(options: CreateNetworkOptions): Promise<Network>;
  listNetworks(): Promise<Network[]>;
  inspectNetwork(name: string): Promise<NetworkInspectResult>;
  // removeNetwork refuses while containers are attached, unless force.
  removeNetwork(name: string, options?: { force?: boolean }): Promise<void>;
  // copyTo extracts a tar stream (or writes one file) into destDir inside
  // the container, running or not; no path or link leads outside its root.
  copyTo(id: string, destDir: string, source: CopySource, options?: CopyToOptions): Promise<CopyToResult>;
  // copyFrom gives the stat of a path inside the container and a tar of it.
  copyFrom(id: string, path: string, options?: CopyFromOptions): Promise<CopyFromResult>;
  // pull fetches an image from its registry into the daemon's store,
  // reporting each layer's progress, and returns it once it is stored.
  pull(reference: string, options?: PullOptions): Promise<PulledImage>;
  // login checks credentials against a registry and keeps them for pulls;
  // it returns the registry host as saved.
  login(server: string, options: LoginOptions): Promise<{ server: string }>;
  // logout forgets a registry's credentials, saying whether there were any.
  logout(server: string): Promise<{ removed: boolean }>;
  // Images belong to the daemon's store, not to the client's namespace;
  // their events go out in the client's namespace. An image is named by
  // reference ("busybox" is docker.io/library/busybox:latest), by id or a
  // unique prefix of it, or by repository@digest.
  listImages(options?: ImageListOptions): Promise<Image[]>;
  inspectImage(image: string): Promise<Image>;
  // tagImage points target at the image source names.
  tagImage(source: string, target: string): Promise<Image>;
  // removeImage follows Docker's rules: untag while other names remain,
  // then delete, refused while a container uses it unless force.
  removeImage(image: string, options?: ImageRemoveOptions): Promise<ImageRemoveResult>;
  pruneImages(options?: ImagePruneOptions): Promise<ImagePruneResult>;
  // loadImages reads a docker save or OCI archive, streamed, and returns
  // the images it added (with their names).
  loadImages(archive: AsyncIterable<Uint8Array>, options?: ImageStreamOptions): Promise<Image[]>;
  // saveImages streams the named images as one OCI archive.
  saveImages(images: readonly string[], options?: ImageStreamOptions): AsyncIterable<Uint8Array>;
  // updateOptions changes settings of the daemon itself, whichever
  // namespace the client works in (SystemService.UpdateOptions), and returns
  // them as they now are.
  updateOptions(options: UpdatableOptions): Promise<DaemonOptions>;
  // close stops delivering events to the backend and releases connections.
  close(): Promise<void>;
}
