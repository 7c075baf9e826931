// Engine owns the containers of one daemon: one registry per namespace, the
// exit watchers, the liveness poller, the runtime binaries and the event
// bus. Create, Delete and Restore live here because they add or remove
// containers; every other operation is a method of the ManagedContainer it
// targets.
import { access, constants, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";

import type { CreateOptions, ListFilter } from "../api/client-options.js";
import type { EventBus } from "../backend/event-bus.js";
import { alreadyExists, notFound, resourceExhausted } from "../errors/berth-error.js";
import { validateId, validateNamespace } from "../errors/validate.js";
import { quote } from "../errors/quote.js";
import type { Container, ExitStatus } from "../gen/berth/v1/types_pb.js";
import { NetworkManager, type NetworkSettings } from "../network/network-manager.js";
import { missingBinary } from "../runtime/runtime-error.js";
import { Runc } from "../runtime/runc.js";
import { findOnPath } from "../rootfs/find-on-path.js";
import { traced } from "../trace/span.js";
import { NO_TRACE, type Tracer } from "../trace/tracer.js";
import { createContainer } from "./create-container.js";
import { holderOf, ImageOps, type Puller } from "./image-ops.js";
import { deleteContainer } from "./delete-container.js";
import { ExitWatcher } from "./exit-watcher.js";
import { StateLayout } from "./layout.js";
import { ManagedContainer } from "./managed-container.js";
import { LivenessPoller } from "./monitor-liveness.js";
import type { RuntimeContext } from "./runtime-context.js";
import { restoreContainer, restoreNamespace } from "./restore.js";
import { UsernsBlocks } from "./userns-blocks.js";
import type { SubordinateRange } from "../userns/subordinate-range.js";
import type { Logger } from "../log/create-logger.js";
import { logError } from "../log/error-fields.js";

export interface EngineOptions {
  stateDir: string;
  bus: EventBus;
  // runtime is the OCI runtime: a path, or a name looked up on PATH.
  runtime?: string;
  conmon?: string;
  logSizeMax?: number;
  // cgroupParent is the cgroup under which containers are placed.
  cgroupParent?: string;
  // monitorPollMs is how often the monitors are checked for being alive
  // (default 500).
  monitorPollMs?: number;
  // network: the default network and the CNI plugins (see NetworkSettings).
  network?: NetworkSettings;
  // maxContainersPerNamespace bounds the containers one namespace holds
  // (default DEFAULT_MAX_CONTAINERS_PER_NAMESPACE): each costs a monitor
  // process, a record and a cgroup, and one client looping on Create
  // must not take the host from the others.
  maxContainersPerNamespace?: number;
  // logger is the daemon's log; errors no caller can be told of go to it,
  // and to onError when given.
  logger?: Logger;
  onError?: (err: unknown) => void;
  // puller fetches an image a Create names from its registry (the
  // registry client provides it); without one, only stored images run.
  puller?: Puller;
  // tracer records the phase trace (see src/trace); off by default.
  tracer?: Tracer;
  // subordinateRange is the block of host ids auto user namespaces are
  // cut from (default DEFAULT_SUBORDINATE_RANGE).
  subordinateRange?: SubordinateRange;
  // maxImageArchiveBytes bounds an archive Load takes (default
  // DEFAULT_MAX_IMAGE_ARCHIVE_BYTES).
  maxImageArchiveBytes?: number;
}

export const DEFAULT_MAX_CONTAINERS_PER_NAMESPACE = 10_000;

interface Binaries {
  runc: string;
  conmon: string;
}

export interface Namespace {
  readonly ctx: RuntimeContext;
  readonly containers: Map<string, ManagedContainer>;
  // creating holds ids whose Create is in flight, so a duplicate fails fast.
  readonly creating: Set<string>;
  // removing holds the Deletes still removing files, or whose delete event
  // waits for the journal before the record goes, so a Create of the same
  // id waits for them rather than racing them.
  readonly removing: Map<string, Promise<void>>;
  // cgroupParent is the cgroup path this namespace's containers are under.
  readonly cgroupParent: string;
  readonly watcher: ExitWatcher;
}

export class Engine {
  readonly layout: StateLayout;
  private readonly namespaces = new Map<string, Promise<Namespace>>();
  private binaries: Promise<Binaries> | undefined;
  private closed = false;
  readonly liveness: LivenessPoller;
  readonly networks: NetworkManager;
  readonly images: ImageOps;
  readonly userns: UsernsBlocks;

  constructor(readonly options: EngineOptions) {
    this.layout = new StateLayout(options.stateDir);
    this.networks = new NetworkManager(options.stateDir, options.network ?? {}, (namespace, containerId, type, network, address) => {
      options.bus.publish({ namespace, containerId, processId: "", type, network, address });
    });
    this.images = new ImageOps(join(options.stateDir, "images"), options.stateDir, options.bus, options.puller, options.maxImageArchiveBytes);
    this.liveness = new LivenessPoller(options.monitorPollMs ?? 500, this.reportError);
    this.userns = new UsernsBlocks(join(options.stateDir, "containers"), options.subordinateRange, this.reportError);
  }

  // setLogSizeMax applies to processes started from now on.
  setLogSizeMax(bytes: number): void {
    this.options.logSizeMax = bytes;
    for (const ns of this.namespaces.values()) void ns.then((n) => (n.ctx.logSizeMax = bytes), () => {});
  }

  get tracer(): Tracer {
    return this.options.tracer ?? NO_TRACE;
  }

  get bus(): EventBus {
    return this.options.bus;
  }

  reportError = (err: unknown): void => {
    const { logger, onError } = this.options;
    if (logger !== undefined) logError(logger, err);
    if (onError !== undefined) onError(err);
    else if (logger === undefined) console.error("berth:", err);
  };

  // resolveBinaries finds runc and conmon once; a missing one is UNAVAILABLE
  // with the command that installs it.
  resolveBinaries(): Promise<Binaries> {
    this.binaries ??= (async () => {
      const runc = await locate(this.options.runtime ?? "runc");
      if (runc === undefined) throw missingBinary(this.options.runtime ?? "runc", "runc");
      const conmon = await locate(this.options.conmon ?? "conmon");
      if (conmon === undefined) throw missingBinary("conmon", "conmon");
      return { runc, conmon };
    })();
    this.binaries.catch(() => (this.binaries = undefined));
    return this.binaries;
  }

  // namespace opens a namespace on first use: its runc root, its exit
  // watcher (started before any monitor that could write to it), and the
  // containers its state directory already holds.
  namespace(name: string): Promise<Namespace> {
    validateNamespace(name);
    let ns = this.namespaces.get(name);
    if (ns === undefined) {
      ns = this.openNamespace(name);
      this.namespaces.set(name, ns);
      ns.catch(() => this.namespaces.delete(name));
    }
    return ns;
  }

  private async openNamespace(name: string): Promise<Namespace> {
    const bin = await this.resolveBinaries();
    const runc = new Runc(bin.runc, this.layout.runcRoot(name));
    await mkdir(runc.root, { recursive: true, mode: 0o700 });
    await mkdir(this.layout.namespaceDir(name), { recursive: true, mode: 0o700 });
    const containers = new Map<string, ManagedContainer>();
    const bus = this.bus;
    const engine = this;
    const ctx: RuntimeContext = {
      namespace: name,
      get closed() {
        return engine.closed;
      },
      runc,
      conmonPath: bin.conmon,
      exitDir: this.layout.exitDir(name),
      logSizeMax: this.options.logSizeMax,
      liveness: this.liveness,
      networks: this.networks,
      tracer: this.tracer,
      publish: (containerId, type, f) => bus.publish({ namespace: name, containerId, type, ...f }),
      durable: () => bus.flush(),
      history: (containerId, after) => bus.history(after, (e) => e.namespace === name && e.containerId === containerId),
      reportError: this.reportError,
      releaseImage: (id) => this.images.release(holderOf(name, id)),
      releaseUserns: (id) => this.userns.release(name, id),
    };
    const watcher = new ExitWatcher(
      ctx.exitDir,
      (id, code, writtenAtMs) => {
        const c = containers.get(id);
        if (c !== undefined) c.onInitExit(code, { writtenAtMs }).catch(this.reportError);
      },
      this.reportError,
    );
    const cgroupParent = `${this.options.cgroupParent ?? "/berth"}/${name}`;
    const ns: Namespace = { ctx, containers, creating: new Set(), removing: new Map(), cgroupParent, watcher };
    await restoreNamespace(this, ns);
    await this.images.reconcile(name, new Set([...containers.keys(), ...ns.removing.keys()]));
    await watcher.start();
    return ns;
  }

  // get returns a container or throws NOT_FOUND.
  async get(namespace: string, id: string): Promise<ManagedContainer> {
    validateId(id);
    const ns = await this.namespace(namespace);
    const c = ns.containers.get(id);
    if (c === undefined) throw notFound(`container ${quote(id)} not found in namespace ${quote(namespace)}`);
    return c;
  }

  async create(namespace: string, id: string, options: CreateOptions = {}): Promise<Container> {
    const span = this.tracer.begin("create", namespace, id);
    return traced(span, async () => {
      validateId(id);
      const ns = await this.namespace(namespace);
      for (let removing = ns.removing.get(id); removing !== undefined; removing = ns.removing.get(id)) {
        // A Delete of this id still finishing may be waiting for the journal
        // to write its delete event (a full disk): then this fails at once,
        // saying so, rather than waiting for the disk.
        await ns.ctx.durable();
        await removing;
      }
      if (ns.containers.has(id) || ns.creating.has(id)) {
        throw alreadyExists(`container ${quote(id)} already exists in namespace ${quote(namespace)}: delete it first or pick another id`);
      }
      const max = this.options.maxContainersPerNamespace ?? DEFAULT_MAX_CONTAINERS_PER_NAMESPACE;
      if (ns.containers.size + ns.creating.size >= max) {
        throw resourceExhausted(
          `namespace ${quote(namespace)} holds ${ns.containers.size + ns.creating.size} containers, the daemon's limit (maxContainersPerNamespace ${max}): delete some first, or raise the limit`,
        );
      }
      span.step("id checks");
      ns.creating.add(id);
      try {
        const { container, started } = await createContainer(this, ns, id, options, span);
        ns.containers.set(id, container);
        return started;
      } finally {
        ns.creating.delete(id);
      }
    });
  }

  // restore reconciles one container with the runtime: a known one whose
  // exit was missed gets it now; one only on disk is adopted.
  async restore(namespace: string, id: string): Promise<Container> {
    validateId(id);
    const ns = await this.namespace(namespace);
    const known = ns.containers.get(id);
    if (known !== undefined) return known.restore();
    const adopted = await restoreContainer(this, ns, id);
    if (adopted === undefined) throw notFound(`container ${quote(id)} not found in namespace ${quote(namespace)} nor in the state directory`);
    return adopted.info();
  }

  async list(namespace: string, filter: ListFilter = {}): Promise<Container[]> {
    const ns = await this.namespace(namespace);
    const statuses = filter.statuses ?? [];
    const labels = Object.entries(filter.labels ?? {});
    const out: Container[] = [];
    for (const c of ns.containers.values()) {
      const info = c.info();
      if (statuses.length > 0 && !statuses.includes(info.status)) continue;
      if (labels.some(([k, v]) => c.labels[k] !== v)) continue;
      out.push(info);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  // delete removes a stopped container, or with force kills it first (see
  // deleteContainer).
  async delete(namespace: string, id: string, force: boolean, expectedRevision?: bigint): Promise<ExitStatus> {
    const span = this.tracer.begin("delete", namespace, id);
    return traced(span, async () => {
      const ns = await this.namespace(namespace);
      const c = await this.get(namespace, id);
      span.step("id checks");
      return deleteContainer(ns, c, force, expectedRevision, span);
    });
  }

  // close stops watching: exits from now on are left to the exit files and
  // pending restarts to the records, for the next daemon.
  async close(): Promise<void> {
    this.closed = true;
    this.liveness.close();
    for (const ns of this.namespaces.values()) {
      const n = await ns.catch(() => undefined);
      if (n === undefined) continue;
      n.watcher.close();
      for (const c of n.containers.values()) c.restarts.cancel();
      await Promise.all([...n.containers.values()].map((c) => c.record.idle()));
    }
  }

  // listAll returns every container of every namespace, by namespace then
  // id, opening the namespaces the state directory holds that no call has
  // opened yet. One that cannot be opened is reported and left out, as at
  // start-up, so that one broken folder does not hide all the others.
  async listAll(): Promise<Container[]> {
    const names = new Set(await readdir(`${this.layout.root}/containers`).catch(() => [] as string[]));
    for (const name of this.namespaces.keys()) names.add(name);
    const out: Container[] = [];
    for (const name of [...names].sort()) {
      try {
        out.push(...(await this.list(name)));
      } catch (err) {
        this.reportError(err);
      }
    }
    return out;
  }
}

async function locate(nameOrPath: string): Promise<string | undefined> {
  if (nameOrPath.includes("/")) {
    return access(nameOrPath, constants.X_OK).then(() => nameOrPath, () => undefined);
  }
  return findOnPath(nameOrPath, `${process.env["PATH"] ?? ""}:/usr/local/sbin:/usr/sbin:/sbin`);
}
