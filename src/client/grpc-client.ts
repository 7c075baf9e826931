// GrpcClient is the Client of a berth daemon in another process. Each method
// is one RPC; every failure comes back as the BerthError an in-process
// caller would have seen, so code written against LocalClient runs unchanged.
import { createClient, type Client as RpcClient } from "@connectrpc/connect";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { VersionInfo } from "../api/version-info.js";
import { BackendDispatcher } from "../backend/backend-dispatcher.js";
import type { Backend } from "../backend/backend.js";
import { BerthError } from "../errors/berth-error.js";
import { validateNamespace } from "../errors/validate.js";
import { ContainerService } from "../gen/berth/v1/containers_pb.js";
import { EventService } from "../gen/berth/v1/events_pb.js";
import { NetworkService } from "../gen/berth/v1/networks_pb.js";
import { ImageService, type Image } from "../gen/berth/v1/images_pb.js";
import { SystemService, type InfoResponse } from "../gen/berth/v1/system_pb.js";
import { withAttachStreams } from "../io/attach-streams.js";
import { untilAborted } from "../io/until-aborted.js";
import { checkLogSizeMax } from "../spec/daemon-options.js";
import { attachOutputOf, attachRequestOf, attachStartRequest, type AttachRequestInit } from "../wire/attach-messages.js";
import { DEFAULT_NAMESPACE } from "../wire/namespace-header.js";
import { fromConnectError } from "../wire/status.js";
import { contentChunks, isCopyFile } from "../api/copy-options.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CopyToRequestSchema } from "../gen/berth/v1/copy_pb.js";
import type * as api from "./client.js";
import type { Container, Event, ExitStatus, Network, ProcessInfo, ProcessSummary, PulledImage, Stats } from "./types.js";
import { connectionLostError, createUnixTransport, unreachableError, type UnixTransport, type WireProtocol } from "./transport.js";

export interface GrpcClientOptions {
  socketPath: string;
  namespace?: string;
  // backend hears every event of the namespace, in order, from the moment
  // connect() was called.
  backend?: Backend;
  // onError hears what cannot be thrown to a caller: a failing backend
  // handler or a dropped event stream (see src/backend/resume-policy.ts).
  // Defaults to console.error.
  onError?: (err: BerthError) => void;
  protocol?: WireProtocol;
}

export class GrpcClient implements api.Client {
  readonly namespace: string;
  readonly #socketPath: string;
  readonly #wire: UnixTransport;
  readonly #containers: RpcClient<typeof ContainerService>;
  readonly #events: RpcClient<typeof EventService>;
  readonly #system: RpcClient<typeof SystemService>;
  readonly #networks: RpcClient<typeof NetworkService>;
  readonly #images: RpcClient<typeof ImageService>;
  readonly #closing = new AbortController();
  #dispatcher: BackendDispatcher | undefined;

  private constructor(namespace: string, socketPath: string, wire: UnixTransport) {
    this.namespace = namespace;
    this.#socketPath = socketPath;
    this.#wire = wire;
    this.#containers = createClient(ContainerService, wire.transport);
    this.#events = createClient(EventService, wire.transport);
    this.#system = createClient(SystemService, wire.transport);
    this.#networks = createClient(NetworkService, wire.transport);
    this.#images = createClient(ImageService, wire.transport);
  }

  // connect checks that a daemon answers on the socket, so a wrong path fails
  // here with UNAVAILABLE rather than on the first real call.
  static async connect(options: GrpcClientOptions): Promise<GrpcClient> {
    const since = new Date();
    const namespace = validateNamespace(options.namespace ?? DEFAULT_NAMESPACE);
    const { socketPath, protocol } = options;
    const client = new GrpcClient(namespace, socketPath, createUnixTransport({ socketPath, namespace, protocol }));
    try {
      await client.ping();
    } catch (err) {
      await client.close();
      throw err;
    }
    if (options.backend) {
      // The first subscription asks for everything since connect() began,
      // so events of calls made right after connect() are not lost to the
      // race with the stream's start; the relay skips any it delivered.
      const backend = withAttachStreams(options.backend, client, client.#closing.signal);
      client.#dispatcher = new BackendDispatcher(backend, (cursor) => client.subscribe(cursor), { from: { since }, onError: options.onError });
    }
    return client;
  }

  createNetwork(options: api.CreateNetworkOptions): Promise<Network> {
    return this.#get(this.#networks.createNetwork(options), "network");
  }

  async listNetworks(): Promise<Network[]> {
    return (await this.#call(this.#networks.listNetworks({}))).networks;
  }

  async inspectNetwork(name: string): Promise<api.NetworkInspectResult> {
    const res = await this.#call(this.#networks.inspectNetwork({ name }));
    if (res.network === undefined) throw new BerthError("internal", "InspectNetwork answered without a network");
    return { network: res.network, endpoints: res.endpoints };
  }

  removeNetwork(name: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#ack(this.#networks.removeNetwork({ name, force: options.force === true }));
  }

  async listImages(options: api.ImageListOptions = {}): Promise<Image[]> {
    return (await this.#call(this.#images.list({ dangling: options.dangling === true }))).images;
  }

  inspectImage(image: string): Promise<Image> {
    return this.#get(this.#images.inspect({ image }), "image");
  }

  tagImage(source: string, target: string): Promise<Image> {
    return this.#get(this.#images.tag({ source, target }), "image");
  }

  async removeImage(image: string, options: api.ImageRemoveOptions = {}): Promise<api.ImageRemoveResult> {
    const { untagged, deleted } = await this.#call(this.#images.remove({ image, force: options.force === true }));
    return { untagged, deleted };
  }

  async pruneImages(options: api.ImagePruneOptions = {}): Promise<api.ImagePruneResult> {
    const { untagged, deleted, reclaimedBytes } = await this.#call(this.#images.prune({ all: options.all === true }));
    return { untagged, deleted, reclaimedBytes };
  }

  // loadImages streams the archive in pieces of at most COPY_CHUNK bytes.
  async loadImages(archive: AsyncIterable<Uint8Array>, options: api.ImageStreamOptions = {}): Promise<Image[]> {
    async function* requests(): AsyncGenerator<{ chunk: Uint8Array }> {
      for await (const chunk of archive) {
        for (let at = 0; at < chunk.length; at += COPY_CHUNK) yield { chunk: chunk.subarray(at, at + COPY_CHUNK) };
      }
    }
    return (await this.#call(this.#images.load(requests(), { signal: options.signal }), options.signal)).images;
  }

  saveImages(images: readonly string[], options: api.ImageStreamOptions = {}): AsyncIterable<Uint8Array> {
    return this.#stream(options.signal, (signal) => this.#images.save({ images: [...images] }, { signal }), (res) => res.chunk);
  }

  create(id: string, options: api.CreateOptions = {}): Promise<Container> {
    return this.#get(this.#containers.create({ id, ...options }), "container");
  }

  start(id: string, options: api.Revisioned = {}): Promise<Container> {
    return this.#get(this.#containers.start({ id, expectedRevision: options.expectedRevision }), "container");
  }

  async stop(id: string, options: api.StopOptions = {}): Promise<api.StopResult> {
    const { signal, ...rest } = options;
    const res = await this.#call(this.#containers.stop({ id, ...rest, signal: signal === undefined ? "" : String(signal) }));
    return { exitStatus: res.exitStatus, killed: res.killed, container: required(res.container, "container") };
  }

  async restart(id: string, options: api.StopOptions = {}): Promise<api.RestartResult> {
    const { signal, ...rest } = options;
    const res = await this.#call(this.#containers.restart({ id, ...rest, signal: signal === undefined ? "" : String(signal) }));
    return { killed: res.killed, container: required(res.container, "container") };
  }

  update(id: string, options: api.UpdateOptions): Promise<Container> {
    const { labels, ...rest } = options;
    return this.#get(this.#containers.update({ id, ...rest, labels: labels === undefined ? undefined : { values: labels } }), "container");
  }

  async inspect(id: string, options: { size?: boolean } = {}): Promise<api.InspectResult> {
    const res = await this.#call(this.#containers.inspect({ id, size: options.size }));
    return { container: required(res.container, "container"), config: required(res.config, "config"), sizeRwBytes: res.sizeRwBytes };
  }

  signal(id: string, signal: api.SignalLike, options: { all?: boolean } & api.Revisioned = {}): Promise<void> {
    return this.#ack(this.#containers.signal({ id, signal: String(signal), all: options.all, expectedRevision: options.expectedRevision }));
  }

  signalProcess(id: string, processId: string, signal: api.SignalLike, options: api.Revisioned = {}): Promise<void> {
    return this.#ack(this.#containers.signalProcess({ id, processId, signal: String(signal), expectedRevision: options.expectedRevision }));
  }

  addProcess(id: string, processId: string, process: api.ProcessOptions, options: api.Revisioned = {}): Promise<ProcessInfo> {
    return this.#get(this.#containers.addProcess({ id, processId, process, expectedRevision: options.expectedRevision }), "process");
  }

  resize(id: string, processId: string, width: number, height: number, options: api.Revisioned = {}): Promise<void> {
    return this.#ack(this.#containers.resize({ id, processId, width, height, expectedRevision: options.expectedRevision }));
  }

  closeStdin(id: string, processId: string, options: api.Revisioned = {}): Promise<void> {
    return this.#ack(this.#containers.closeStdin({ id, processId, expectedRevision: options.expectedRevision }));
  }

  pause(id: string, options: api.Revisioned = {}): Promise<void> {
    return this.#ack(this.#containers.pause({ id, expectedRevision: options.expectedRevision }));
  }

  resume(id: string, options: api.Revisioned = {}): Promise<void> {
    return this.#ack(this.#containers.resume({ id, expectedRevision: options.expectedRevision }));
  }

  restore(id: string): Promise<Container> {
    return this.#get(this.#containers.restore({ id }), "container");
  }

  stats(id: string): Promise<Stats> {
    return this.#get(this.#containers.stats({ id }), "stats");
  }

  getPidsForContainer(id: string): Promise<number[]> {
    return this.#get(this.#containers.listPids({ id }), "pids");
  }

  summary(id: string): Promise<ProcessSummary[]> {
    return this.#get(this.#containers.summary({ id }), "processes");
  }

  updateResources(id: string, resources: api.ResourceOptions, options: api.Revisioned = {}): Promise<void> {
    return this.#ack(this.#containers.updateResources({ id, resources, expectedRevision: options.expectedRevision }));
  }

  delete(id: string, options: { force?: boolean } & api.Revisioned = {}): Promise<ExitStatus> {
    return this.#get(this.#containers.delete({ id, force: options.force, expectedRevision: options.expectedRevision }), "exitStatus");
  }

  wait(id: string, options: api.WaitOptions = {}): Promise<ExitStatus> {
    const { processId, condition, signal } = options;
    return this.#get(this.#containers.wait({ id, processId, condition }, { signal }), "exitStatus", signal);
  }

  state(id: string): Promise<Container> {
    return this.#get(this.#containers.state({ id }), "container");
  }

  list(filter: api.ListFilter = {}): Promise<Container[]> {
    return this.#get(this.#containers.list(filter), "containers");
  }

  logs(id: string, options: api.LogOptions = {}): AsyncIterable<api.LogLine> {
    const { since, until, signal, ...rest } = options;
    const request = { id, ...rest, since: since && timestampFromDate(since), until: until && timestampFromDate(until) };
    return this.#stream(signal, (callSignal) => this.#containers.logs(request, { signal: callSignal }), (res) => ({
      time: res.time ? timestampDate(res.time) : new Date(0),
      stream: res.stream,
      line: res.line,
      partial: res.partial,
    }));
  }

  // attach holds one bidirectional call: the start message, then the
  // caller's input for as long as the call lasts.
  attach(id: string, options: api.AttachOptions = {}): AsyncIterable<api.AttachOutput> {
    const { processId, logs, input, signal } = options;
    const start = attachStartRequest({ id, processId: processId ?? "", logs: logs === true });
    async function* requests(callSignal: AbortSignal): AsyncGenerator<AttachRequestInit> {
      yield start;
      if (input !== undefined) for await (const msg of untilAborted(input, callSignal)) yield attachRequestOf(msg);
    }
    return this.#stream(signal, (callSignal) => this.#containers.attach(requests(callSignal), { signal: callSignal }), attachOutputOf);
  }

  subscribe(options: api.SubscribeOptions = {}): AsyncIterable<Event> {
    const { since, until, signal, ...rest } = options;
    const request = { ...rest, since: since && timestampFromDate(since), until: until && timestampFromDate(until) };
    return this.#stream(
      signal,
      (callSignal) => this.#events.subscribe(request, { signal: callSignal }),
      (res) => {
        if (!res.event) throw new BerthError("internal", "the daemon sent no event");
        return res.event;
      },
    );
  }

  // copyTo streams the archive (or the one file's content) in pieces of at
  // most COPY_CHUNK bytes, well under any message limit.
  async copyTo(id: string, destDir: string, source: api.CopySource, options: api.CopyToOptions = {}): Promise<api.CopyToResult> {
    const file = isCopyFile(source) ? source : undefined;
    const start = {
      id,
      destDir,
      ...(file !== undefined && {
        file: { path: file.path, mode: file.mode, uid: file.uid ?? 0, gid: file.gid ?? 0, mtime: file.mtime && timestampFromDate(file.mtime) },
      }),
    };
    const content = file !== undefined ? contentChunks(file.content) : (source as AsyncIterable<Uint8Array>);
    async function* requests(): AsyncGenerator<MessageInitShape<typeof CopyToRequestSchema>> {
      yield { message: { case: "start", value: start } };
      for await (const chunk of content) {
        for (let at = 0; at < chunk.length; at += COPY_CHUNK) yield { message: { case: "data", value: chunk.subarray(at, at + COPY_CHUNK) } };
      }
    }
    const res = await this.#call(this.#containers.copyTo(requests(), { signal: options.signal }), options.signal);
    return { entries: Number(res.entries), bytes: Number(res.bytes) };
  }

  // copyFrom waits for the stat, the stream's first message; the archive is
  // the rest of the stream.
  async copyFrom(id: string, path: string, options: api.CopyFromOptions = {}): Promise<api.CopyFromResult> {
    const { signal, statOnly } = options;
    const responses = this.#stream(signal, (callSignal) => this.#containers.copyFrom({ id, path, statOnly }, { signal: callSignal }), (res) => res.message);
    const it = responses[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done === true || first.value.case !== "stat") {
      await it.return?.(undefined);
      if (signal?.aborted) throw new BerthError("canceled", "the copy was cancelled");
      throw new BerthError("internal", "the daemon sent no stat as the first message of CopyFrom");
    }
    async function* tar(): AsyncGenerator<Uint8Array> {
      try {
        for (let next = await it.next(); next.done !== true; next = await it.next()) {
          if (next.value.case === "data") yield next.value.value;
        }
      } finally {
        await it.return?.(undefined);
      }
    }
    return { stat: first.value.value, tar: tar() };
  }

  // pull reads Pull's stream: progress to the caller's callback, the
  // image last. Unlike the other streams, a pull cut short by the caller's
  // signal fails (CANCELLED): it has no result to return.
  async pull(reference: string, options: api.PullOptions = {}): Promise<PulledImage> {
    const { signal, onProgress } = options;
    try {
      for await (const res of this.#images.pull({ reference, platform: options.platform ?? "" }, { signal })) {
        if (res.item.case === "progress") onProgress?.(res.item.value);
        else if (res.item.case === "image") return res.item.value;
      }
    } catch (err) {
      if (signal?.aborted) throw new BerthError("canceled", "the pull was canceled", { cause: err });
      throw this.#fail(err, signal);
    }
    throw new BerthError("internal", "the daemon ended the pull without an image");
  }

  async login(server: string, options: api.LoginOptions): Promise<{ server: string }> {
    const res = await this.#call(this.#images.login({ server, username: options.username, password: options.password }, { signal: options.signal }), options.signal);
    return { server: res.server };
  }

  async logout(server: string): Promise<{ removed: boolean }> {
    const res = await this.#call(this.#images.logout({ server }));
    return { removed: res.removed };
  }

  // version, info and ping reach SystemService, which has no place in the
  // Client interface: they describe the daemon, not a namespace.
  version(): Promise<VersionInfo> {
    return this.#call(this.#system.version({}));
  }

  info(): Promise<InfoResponse> {
    return this.#call(this.#system.info({}));
  }

  ping(): Promise<void> {
    return this.#ack(this.#system.ping({}));
  }

  async updateOptions(options: api.UpdatableOptions): Promise<api.DaemonOptions> {
    const { logLevel, logSizeMax } = options;
    const max = logSizeMax === undefined ? undefined : BigInt(checkLogSizeMax(logSizeMax));
    const res = await this.#call(this.#system.updateOptions({ ...(logLevel !== undefined && { logLevel }), ...(max !== undefined && { logSizeMax: max }) }));
    return { logLevel: res.logLevel, logSizeMax: Number(res.logSizeMax) };
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await this.#dispatcher?.close();
    this.#wire.close();
  }

  // fail turns a failed call into the BerthError an in-process caller would
  // have seen, or into UNAVAILABLE naming the socket when it was never
  // reached or its connection ended mid-call. signal is the caller's own,
  // if the call took one.
  #fail(err: unknown, signal?: AbortSignal): BerthError {
    const cancelled = signal?.aborted === true || this.#closing.signal.aborted;
    return unreachableError(err, this.#socketPath) ?? connectionLostError(err, this.#socketPath, cancelled) ?? fromConnectError(err);
  }

  async #call<T>(rpc: Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await rpc;
    } catch (err) {
      throw this.#fail(err, signal);
    }
  }

  async #ack(rpc: Promise<unknown>): Promise<void> {
    await this.#call(rpc);
  }

  // get returns the one field of a response that carries the result. The
  // contract always sets it; its absence is a daemon bug, not a result.
  async #get<R, K extends keyof R>(rpc: Promise<R>, field: K, signal?: AbortSignal): Promise<NonNullable<R[K]>> {
    const value = (await this.#call(rpc, signal))[field];
    if (value === undefined || value === null) throw new BerthError("internal", `the daemon sent no ${String(field)}`);
    return value;
  }

  // stream converts a server stream, opened only once the caller starts
  // iterating. connect-es's stream iterable has no return(), so leaving the
  // loop early would leave the call open on the daemon; the call gets a
  // signal of its own that ends with the loop, however it ends. The stream
  // ends quietly when the caller's own signal stops it: that is the caller's
  // request, not a failure.
  async *#stream<R, T>(
    signal: AbortSignal | undefined,
    open: (signal: AbortSignal) => AsyncIterable<R>,
    convert: (response: R) => T,
  ): AsyncGenerator<T> {
    const done = new AbortController();
    try {
      for await (const response of open(signal ? AbortSignal.any([signal, done.signal]) : done.signal)) {
        yield convert(response);
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw this.#fail(err, signal);
    } finally {
      done.abort();
    }
  }
}

const COPY_CHUNK = 256 * 1024;

// required is a response field the daemon always sends.
function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new BerthError("internal", `the daemon sent no ${field}`);
  return value;
}
