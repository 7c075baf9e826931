// LocalClient is the Client that drives the engine in this process, for one
// namespace. Each operation on a container runs under that container's
// serial queue; reads that cannot race (State, Stats) do not wait in it.
import { BackendDispatcher } from "../backend/backend-dispatcher.js";
import type { Backend } from "../backend/backend.js";
import { invalidArgument } from "../errors/berth-error.js";
import { normalizeProcessId, requireProcessId, validateId, validateNamespace, INIT_PROCESS_ID } from "../errors/validate.js";
import type { Engine } from "../engine/engine.js";
import { parseSignal } from "../engine/signals.js";
import { logPathOf, monitorDir, processOf, resizeTerminal } from "../engine/terminal-control.js";
import { attachProcess } from "../io/attach-process.js";
import { withAttachStreams } from "../io/attach-streams.js";
import { copyInto, copyOutOf, checkCopyTo } from "../copy/copy-into.js";
import { splitPath } from "../copy/copy-root.js";
import { checkCreateRequest } from "../spec/check-create.js";
import { checkListFilter, checkLogOptions, checkSignalText, checkSubscribeOptions, checkTerminalSize, checkWaitCondition } from "../spec/check-requests.js";
import { checkProcessOptions } from "../spec/process-spec.js";
import { checkResourcesOnHost, checkResourceUpdate } from "../spec/resources.js";
import { checkStopTimeout } from "../engine/run-control.js";
import { checkUpdate } from "../engine/update-container.js";
import { createNetwork, inspectNetwork, listNetworks, removeNetwork } from "../engine/network-ops.js";
import { checkNetworkFields } from "../network/network-request.js";
import type { RegistryClient } from "../registry/registry-client.js";
import { loginWith, logoutWith, pullWith, requireRegistry } from "./registry-calls.js";
import type { Image } from "../gen/berth/v1/images_pb.js";
import { ImageCalls } from "./image-calls.js";
import { updateOptions } from "../engine/update-options.js";
import type { DaemonOptions, UpdatableOptions } from "../api/daemon-options.js";
import type {
  AttachOptions,
  AttachOutput,
  Client,
  CreateNetworkOptions,
  CopyFromOptions,
  CopyFromResult,
  CopySource,
  CopyToOptions,
  CopyToResult,
  CreateOptions,
  ImageListOptions,
  ImagePruneOptions,
  ImagePruneResult,
  ImageRemoveOptions,
  ImageRemoveResult,
  ImageStreamOptions,
  InspectResult,
  ListFilter,
  LogLine,
  NetworkInspectResult,
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
} from "./client.js";
import { EventType, WaitCondition, type Container, type Event, type Network, type ExitStatus, type ProcessInfo, type ProcessSummary, type PulledImage, type Stats } from "./types.js";

export class LocalClient implements Client {
  private dispatcher: BackendDispatcher | undefined;
  private readonly images: ImageCalls;
  // closing ends the attaches opened for the backend's attachStreams.
  private readonly closing = new AbortController();

  constructor(
    private readonly engine: Engine,
    readonly namespace: string,
    backend?: Backend,
    // registry reaches registries for Pull, Login and Logout.
    private readonly registry?: RegistryClient,
  ) {
    validateNamespace(namespace);
    this.images = new ImageCalls(engine.images, namespace);
    if (backend !== undefined) {
      // Delivery starts from the bus's current end: the backend hears every
      // event from the moment the client exists, through the one relay
      // GrpcClient uses too (its resume rules are in resume-policy.ts).
      this.dispatcher = new BackendDispatcher(withAttachStreams(backend, this, this.closing.signal), (cursor) => this.subscribe(cursor), {
        from: { sinceSequence: engine.bus.lastSequence() },
      });
    }
  }

  // get looks a container up. Every method checks all of its request
  // first (id included, with validateId), so that an invalid request is
  // INVALID_ARGUMENT whatever state the daemon is in.
  private get(id: string) {
    return this.engine.get(this.namespace, id);
  }

  async updateOptions(options: UpdatableOptions): Promise<DaemonOptions> {
    return updateOptions(this.engine, options);
  }

  async createNetwork(options: CreateNetworkOptions): Promise<Network> {
    return createNetwork(this.engine, this.namespace, options);
  }

  async listNetworks(): Promise<Network[]> {
    return listNetworks(this.engine);
  }

  async inspectNetwork(name: string): Promise<NetworkInspectResult> {
    return inspectNetwork(this.engine, name);
  }

  async removeNetwork(name: string, options: { force?: boolean } = {}): Promise<void> {
    await removeNetwork(this.engine, this.namespace, name, options.force === true);
  }

  async create(id: string, options: CreateOptions = {}): Promise<Container> {
    validateId(id);
    await checkCreateRequest(options);
    checkNetworkFields(options);
    return this.engine.create(this.namespace, id, options);
  }

  async start(id: string, options: Revisioned = {}): Promise<Container> {
    validateId(id);
    return (await this.get(id)).start(options.expectedRevision);
  }

  async stop(id: string, options: StopOptions = {}): Promise<StopResult> {
    validateId(id);
    const { sig, timeoutS } = checkStopOptions(options);
    return (await this.get(id)).stop(sig, timeoutS, options.expectedRevision);
  }

  async restart(id: string, options: StopOptions = {}): Promise<RestartResult> {
    validateId(id);
    const { sig, timeoutS } = checkStopOptions(options);
    return (await this.get(id)).restart(sig, timeoutS, options.expectedRevision);
  }

  async update(id: string, options: UpdateOptions): Promise<Container> {
    validateId(id);
    const checked = checkUpdate(options);
    if (checked.resources !== undefined) await checkResourcesOnHost(checked.resources, "resources.");
    return (await this.get(id)).update(checked, options.expectedRevision);
  }

  async inspect(id: string, options: { size?: boolean } = {}): Promise<InspectResult> {
    validateId(id);
    return (await this.get(id)).inspect(options.size === true);
  }

  async signal(id: string, signal: SignalLike, options: { all?: boolean } & Revisioned = {}): Promise<void> {
    validateId(id);
    checkSignalText(signal);
    const sig = parseSignal(signal);
    const c = await this.get(id);
    await c.signal(sig, options.all === true, options.expectedRevision);
  }

  // signalProcess signals the named process: an exec'd one, or "init" for
  // the container's first (as Signal without all does).
  async signalProcess(id: string, processId: string, signal: SignalLike, options: Revisioned = {}): Promise<void> {
    validateId(id);
    const pid = requireProcessId(processId, `name an exec'd process, or "init" for the container's first process`);
    checkSignalText(signal);
    const sig = parseSignal(signal);
    const c = await this.get(id);
    await c.signalProcess(pid, sig, options.expectedRevision);
  }

  async addProcess(id: string, processId: string, process: ProcessOptions, options: Revisioned = {}): Promise<ProcessInfo> {
    validateId(id);
    const pid = requireProcessId(processId, 'name the new process, e.g. "worker-1"');
    if (pid === INIT_PROCESS_ID) throw invalidArgument(`process_id "init" names the container's first process: pick another id for an exec`);
    checkProcessOptions({ ...process, args: process.args ?? [] });
    const c = await this.get(id);
    return c.addProcess(pid, { ...process, args: process.args ?? [] }, options.expectedRevision);
  }

  async resize(id: string, processId: string, width: number, height: number, options: Revisioned = {}): Promise<void> {
    validateId(id);
    const pid = normalizeProcessId(processId);
    checkTerminalSize(width, height);
    await (await this.get(id)).resize(pid, width, height, options.expectedRevision);
  }

  async closeStdin(id: string, processId: string, options: Revisioned = {}): Promise<void> {
    validateId(id);
    const pid = normalizeProcessId(processId);
    await (await this.get(id)).closeStdin(pid, options.expectedRevision);
  }

  async pause(id: string, options: Revisioned = {}): Promise<void> {
    validateId(id);
    const c = await this.get(id);
    await c.pause(options.expectedRevision);
  }

  async resume(id: string, options: Revisioned = {}): Promise<void> {
    validateId(id);
    const c = await this.get(id);
    await c.resume(options.expectedRevision);
  }

  // restore reconciles one container with the runtime: a known one whose
  // exit was missed gets it now; one only on disk is adopted.
  async restore(id: string): Promise<Container> {
    validateId(id);
    return this.engine.restore(this.namespace, id);
  }

  async stats(id: string): Promise<Stats> {
    validateId(id);
    return (await this.get(id)).stats();
  }

  async getPidsForContainer(id: string): Promise<number[]> {
    validateId(id);
    return (await this.get(id)).listPids();
  }

  async summary(id: string): Promise<ProcessSummary[]> {
    validateId(id);
    return (await this.get(id)).summary();
  }

  async updateResources(id: string, resources: ResourceOptions, options: Revisioned = {}): Promise<void> {
    validateId(id);
    const checked = checkResourceUpdate(resources);
    await checkResourcesOnHost(checked);
    const c = await this.get(id);
    await c.updateResources(checked, options.expectedRevision);
  }

  async delete(id: string, options: { force?: boolean } & Revisioned = {}): Promise<ExitStatus> {
    validateId(id);
    return this.engine.delete(this.namespace, id, options.force === true, options.expectedRevision);
  }

  async wait(id: string, options: WaitOptions = {}): Promise<ExitStatus> {
    validateId(id);
    checkWaitCondition(options.condition);
    const processId = normalizeProcessId(options.processId);
    return (await this.get(id)).wait(processId, options.condition ?? WaitCondition.NOT_RUNNING, options.signal);
  }

  async state(id: string): Promise<Container> {
    validateId(id);
    return (await this.get(id)).info();
  }

  async list(filter?: ListFilter): Promise<Container[]> {
    checkListFilter(filter);
    return this.engine.list(this.namespace, filter);
  }

  async *logs(id: string, options: LogOptions = {}): AsyncIterable<LogLine> {
    validateId(id);
    checkLogOptions(options);
    const processId = normalizeProcessId(options.processId);
    yield* (await this.get(id)).logs(processId, options);
  }

  async *attach(id: string, options: AttachOptions = {}): AsyncIterable<AttachOutput> {
    validateId(id);
    const processId = normalizeProcessId(options.processId);
    const c = await this.get(id);
    yield* attachProcess(
      {
        process: processOf(c, processId),
        monitorDir: monitorDir(c, processId),
        logPath: logPathOf(c, processId),
        resize: (width, height) => resizeTerminal(c, processId, width, height),
      },
      options,
    );
  }

  subscribe(options: SubscribeOptions = {}): AsyncIterable<Event> {
    checkSubscribeOptions(options);
    return this.engine.bus.subscribe({
      namespace: options.allNamespaces ? undefined : this.namespace,
      containerIds: options.containerIds,
      types: options.types,
      sinceSequence: options.sinceSequence,
      since: options.since,
      until: options.until,
      signal: options.signal,
    });
  }

  async copyTo(id: string, destDir: string, source: CopySource, options: CopyToOptions = {}): Promise<CopyToResult> {
    validateId(id);
    checkCopyTo(destDir, source);
    const c = await this.get(id);
    return copyInto((open) => c.openForCopy(open), destDir, source, options);
  }

  async copyFrom(id: string, path: string, options: CopyFromOptions = {}): Promise<CopyFromResult> {
    validateId(id);
    splitPath("path", path);
    const c = await this.get(id);
    return copyOutOf((open) => c.openForCopy(open), path, options);
  }

  // pull pulls into the engine's store and announces the image. A
  // berth.local name is made here, never asked of a registry.
  async pull(reference: string, options: PullOptions = {}): Promise<PulledImage> {
    const registry = requireRegistry(this.registry);
    registry.check(reference, options.platform);
    const local = await this.engine.images.pullBuiltIn(this.namespace, reference, options.onProgress);
    if (local !== undefined) return local;
    const store = await this.engine.images.store();
    const { pulled, untagged } = await store.withLease(`pull ${reference}`, () => pullWith(registry, reference, options, store));
    if (untagged !== undefined) this.engine.images.untagged(this.namespace, pulled.reference, untagged);
    this.engine.images.publish(this.namespace, EventType.IMAGE_PULL, pulled.reference, pulled.configDigest);
    return pulled;
  }

  login(server: string, options: LoginOptions): Promise<{ server: string }> {
    return loginWith(requireRegistry(this.registry), server, options);
  }

  logout(server: string): Promise<{ removed: boolean }> {
    return logoutWith(requireRegistry(this.registry), server);
  }

  listImages(options?: ImageListOptions): Promise<Image[]> {
    return this.images.list(options);
  }

  inspectImage(image: string): Promise<Image> {
    return this.images.inspect(image);
  }

  tagImage(source: string, target: string): Promise<Image> {
    return this.images.tag(source, target);
  }

  removeImage(image: string, options?: ImageRemoveOptions): Promise<ImageRemoveResult> {
    return this.images.remove(image, options);
  }

  pruneImages(options?: ImagePruneOptions): Promise<ImagePruneResult> {
    return this.images.prune(options);
  }

  loadImages(archive: AsyncIterable<Uint8Array>, options?: ImageStreamOptions): Promise<Image[]> {
    return this.images.load(archive, options);
  }

  saveImages(images: readonly string[], options?: ImageStreamOptions): AsyncIterable<Uint8Array> {
    return this.images.save(images, options);
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.dispatcher?.close();
  }
}

// checkStopOptions checks Stop's and Restart's options; sig is undefined
// for the container's own stop signal.
function checkStopOptions(options: StopOptions): { sig: number | undefined; timeoutS: number } {
  if (options.signal !== undefined) checkSignalText(options.signal);
  const sig = options.signal === undefined ? undefined : parseSignal(options.signal);
  return { sig, timeoutS: checkStopTimeout(options.timeoutSeconds) };
}
