// Remote is libcontainerd's Remote: the host side. Remote.start runs the
// daemon in this process (state directory, engine, event journal, gRPC
// server on a unix socket); Remote.connect reaches a daemon in another
// process. Either way remote.client(backend) hands out a Client whose
// backend hears the namespace's state changes.
import { readdir } from "node:fs/promises";

import { EventBus } from "../backend/event-bus.js";
import type { Backend } from "../backend/backend.js";
import type { Client } from "../client/client.js";
import { LocalClient } from "../client/local-client.js";
import { Engine } from "../engine/engine.js";
import type { NetworkSettings } from "../network/network-manager.js";
import { RegistryClient } from "../registry/registry-client.js";
import type { RegistryOptions } from "../registry/registry-hosts.js";
import { fileTracer, NO_TRACE } from "../trace/tracer.js";
import { registryPuller } from "../registry/registry-puller.js";
import type { Puller } from "../engine/image-ops.js";
import { lockStateDir, type StateLock } from "../engine/state-lock.js";
import type { InfoResponse } from "../gen/berth/v1/system_pb.js";
import { prepareOciSpecValidator } from "../spec/validate-oci-spec.js";
import { DEFAULT_NAMESPACE } from "../wire/namespace-header.js";
import { daemonLimits } from "./daemon-limits.js";
import { VERSION, versionOf } from "./daemon-version.js";
import type { VersionInfo } from "../api/version-info.js";
import { denialReporter } from "./denial-report.js";
import { NamespaceAccess, type AccessRule } from "./namespace-access.js";
import { loadDaemonId } from "./daemon-id.js";
import { daemonInfo } from "./daemon-info.js";
import { ServingHealth } from "./health-service.js";
import { Readiness } from "./readiness.js";
import { DaemonMetrics } from "../metrics/daemon-metrics.js";
import { metricSources } from "./metric-sources.js";
import { berthRoutes, startServer, type RunningServer, type SocketAccess, type TcpOptions } from "./server.js";
import { checkAgainstHost, DEFAULT_SUBORDINATE_RANGE, parseSubordinateRange } from "../userns/subordinate-range.js";
import type { UpdatableOptions } from "../api/daemon-options.js";
import { createLogger, type Logger } from "../log/create-logger.js";
import { logError } from "../log/error-fields.js";
import { logEvent } from "../log/lifecycle-log.js";
import { parseLogLevel, type LogLevel } from "../log/log-level.js";
import { RpcLog } from "../log/rpc-log.js";
import { updateOptions } from "../engine/update-options.js";
import { journalLogger } from "./journal-logger.js";

export type { UpdatableOptions };

export const DEFAULT_STATE_DIR = "/var/lib/berth";
export const DEFAULT_SOCKET = "/run/berth/berth.sock";
export { VERSION };

export interface RemoteOptions {
  stateDir?: string;
  socketPath?: string;
  // serve false runs the engine without a gRPC server (in-process use only).
  serve?: boolean;
  tcp?: TcpOptions;
  // socketAccess is the unix socket's mode (default 0600), owner and group.
  socketAccess?: SocketAccess;
  runtime?: string;
  conmon?: string;
  // logSizeMax bounds each process's log file in bytes.
  logSizeMax?: number;
  // cgroupParent is the cgroup path containers are placed under
  // (default /berth): each gets <parent>/<namespace>/<id>.
  cgroupParent?: string;
  // journalMaxEvents bounds the event journal kept on disk.
  journalMaxEvents?: number;
  // monitorPollMs is how often the containers' monitors are checked for
  // being alive (default 500).
  monitorPollMs?: number;
  // maxRequestBytes bounds one request message on every protocol (default
  // 4 MiB, gRPC's default); a bigger one is RESOURCE_EXHAUSTED.
  maxRequestBytes?: number;
  // maxConcurrentStreams bounds the calls one HTTP/2 connection carries at
  // once (default 1024); calls past it wait for one to end.
  maxConcurrentStreams?: number;
  // maxContainersPerNamespace bounds one namespace's containers (default
  // 10,000); a Create past it is RESOURCE_EXHAUSTED.
  maxContainersPerNamespace?: number;
  // subuidRange is "START:COUNT", the host ids auto user namespaces are
  // cut from (default 1000000000:655360000); it must not meet /etc/subuid
  // or /etc/subgid.
  subuidRange?: string;
  // maxEventSubscribers bounds the event subscriptions open at once,
  // Backends' included (default 1024); a Subscribe past it is
  // RESOURCE_EXHAUSTED.
  maxEventSubscribers?: number;
  // maxImageArchiveBytes bounds an archive Load takes, as sent and (when
  // gzip-compressed) as decompressed (default 16 GiB); a bigger one is
  // RESOURCE_EXHAUSTED and nothing of it is kept.
  maxImageArchiveBytes?: number;
  // authorization maps client certificate identities ("cn:NAME",
  // "uri:SAN") to the namespaces they may use over TLS (see
  // namespace-access.ts); unset, every caller may use every namespace.
  authorization?: AccessRule[];
  // network sets the default network (its name, bridge device and subnet)
  // and what a container naming no network joins: the default network,
  // unless defaultNetwork says "none".
  network?: NetworkSettings;
  // metrics false turns off the Prometheus metrics (GET /metrics on the
  // socket's HTTP/1.1 side) and the timing of every call.
  metrics?: boolean;
  // registry: registries reached over plain HTTP (insecure), a folder of
  // per-registry CA certificates (certsDir/<host[:port]>/*.crt), and how
  // many layers one pull fetches at once.
  registry?: RegistryOptions;
  // logger is the daemon's log (a pino logger, src/log/create-logger.ts);
  // without one, the daemon logs JSON lines to stderr at logLevel (default
  // error: a daemon inside a program (or a test) reports what it always
  // reported, the errors no caller hears of; `berth serve` logs at info).
  logger?: Logger;
  logLevel?: LogLevel;
  // onError hears, besides the log, each error no caller can be told of.
  onError?: (err: unknown) => void;
  // trace names a file that gets one JSON line per operation with the time
  // of each of its steps (the phase trace, see src/trace); off when unset.
  trace?: string;
  // puller fetches images a Create names from registries (see
  // EngineOptions.puller); the registry client by default.
  puller?: Puller;
}

export interface ClientOptions {
  namespace?: string;
}

export class Remote {
  private constructor(
    private readonly engine: Engine | undefined,
    private readonly server: RunningServer | undefined,
    readonly socketPath: string,
    private readonly lock?: StateLock,
    // localInfo answers info() for a daemon started here.
    private readonly localInfo?: () => Promise<InfoResponse>,
    private readonly readiness?: Readiness,
    private readonly registry?: RegistryClient,
  ) {}

  // start opens the state directory, restores every container it holds
  // (restore and exit events), and serves the gRPC API unless serve is false.
  static async start(options: RemoteOptions = {}): Promise<Remote> {
    const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
    const socketPath = options.socketPath ?? DEFAULT_SOCKET;
    const limits = daemonLimits(options);
    const subordinateRange = options.subuidRange === undefined ? DEFAULT_SUBORDINATE_RANGE : parseSubordinateRange(options.subuidRange, "subuidRange");
    await checkAgainstHost(subordinateRange);
    // Rules are checked before the state directory is locked, so a bad one
    // stops the daemon before it touches anything; refusals are reported
    // once the engine and metrics exist.
    let onDenied: (namespace: string, who: string, method: string) => void = () => {};
    const access = options.authorization === undefined ? undefined : new NamespaceAccess(options.authorization, (...args) => onDenied(...args));
    // One daemon per state directory, and none before the last one's
    // helpers are gone.
    const logger = options.logger ?? createLogger({ level: options.logLevel ?? "error" });
    if (options.logger !== undefined && options.logLevel !== undefined) logger.level = parseLogLevel(options.logLevel);
    const report = (err: unknown) => {
      logError(logger, err);
      options.onError?.(err);
    };
    const lock = await lockStateDir(stateDir, report);
    let engine: Engine | undefined;
    let server: RunningServer | undefined;
    const health = new ServingHealth();
    const tracer = options.trace === undefined ? NO_TRACE : fileTracer(options.trace, report);
    try {
      // One store: the registry pulls into the engine's (Pull, and a
      // Create naming an image the store lacks, through the puller seam).
      const registry = new RegistryClient({ ...options.registry, credentialsFile: `${stateDir}/registry-auth.json` });
      engine = new Engine({
        stateDir,
        bus: await EventBus.open(`${stateDir}/events`, {
          ...(options.journalMaxEvents !== undefined && { maxEvents: options.journalMaxEvents }),
          maxSubscribers: limits.maxEventSubscribers,
          logger: journalLogger(logger),
          onPublish: (event) => logEvent(logger, event),
        }),
        runtime: options.runtime,
        conmon: options.conmon,
        logSizeMax: options.logSizeMax,
        cgroupParent: options.cgroupParent,
        monitorPollMs: options.monitorPollMs,
        network: options.network,
        maxContainersPerNamespace: limits.maxContainersPerNamespace,
        subordinateRange,
        maxImageArchiveBytes: limits.maxImageArchiveBytes,
        logger,
        onError: options.onError,
        puller: options.puller ?? registryPuller(registry),
        tracer,
      });
      const started = engine;
      await started.resolveBinaries();
      // Opened now: what a crash left half-written (ingests, snapshots
      // being built, blobs of no image) is collected before any call.
      await started.images.store();
      const daemon = { id: await loadDaemonId(stateDir), version: VERSION };
      const info = () => daemonInfo(started, daemon);
      await started.networks.init();
      if (options.serve !== false) {
        // Compiled before the socket listens: a client's first Create with
        // oci_spec_json must not stall the others for the compile.
        prepareOciSpecValidator();
        // The socket listens before restore, so health checks can tell a
        // daemon restoring (NOT_SERVING) from one not started; a call that
        // reaches a namespace still restoring waits for its restore.
        const metrics = options.metrics !== false ? new DaemonMetrics(metricSources(started)) : undefined;
        onDenied = denialReporter(logger, metrics, options.onError);
        server = await startServer({
          socketPath,
          tcp: options.tcp,
          socketAccess: options.socketAccess,
          maxRequestBytes: limits.maxRequestBytes,
          maxConcurrentStreams: limits.maxConcurrentStreams,
          health,
          ...(metrics !== undefined && { metrics }),
          rpcLog: new RpcLog(logger),
          routes: berthRoutes({
            clientFor: (ns) => new LocalClient(started, ns, undefined, registry),
            version: () => versionOf(started),
            info,
            ...(access !== undefined && { access }),
          }),
        });
      }
      for (const ns of await readdir(started.layout.root + "/containers").catch(() => [] as string[])) {
        await started.namespace(ns).catch(started.reportError);
      }
      // Once every container is adopted: what none of them holds is released.
      await started.networks.sweep(started.reportError);
      const readiness = new Readiness(health, () => versionOf(started).then(() => {}), started.reportError);
      await readiness.probe();
      return new Remote(started, server, socketPath, lock, info, readiness, registry);
    } catch (err) {
      await server?.close();
      if (engine !== undefined) {
        await engine.close();
        await engine.bus.close();
      }
      await tracer.close();
      await lock.release();
      throw err;
    }
  }

  // connect reaches a daemon serving on socketPath.
  static async connect(options: { socketPath?: string } = {}): Promise<Remote> {
    return new Remote(undefined, undefined, options.socketPath ?? DEFAULT_SOCKET);
  }

  // tcpAddress is "host:port" of the TCP listener of a daemon started here.
  get tcpAddress(): string | undefined {
    return this.server?.tcpAddress;
  }

  // client returns a Client for a namespace; backend, if given, hears every
  // state change in that namespace from now on.
  async client(backend?: Backend, options: ClientOptions = {}): Promise<Client> {
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    if (this.engine !== undefined) return new LocalClient(this.engine, namespace, backend, this.registry);
    return (await loadGrpcClient()).connect({ socketPath: this.socketPath, namespace, backend });
  }

  async version(): Promise<VersionInfo> {
    if (this.engine !== undefined) return versionOf(this.engine);
    const c = await (await loadGrpcClient()).connect({ socketPath: this.socketPath });
    try {
      return await c.version();
    } finally {
      await c.close();
    }
  }

  // info describes the daemon and its host (SystemService.Info).
  async info(): Promise<InfoResponse> {
    if (this.localInfo !== undefined) return this.localInfo();
    const c = await (await loadGrpcClient()).connect({ socketPath: this.socketPath });
    try {
      return await c.info();
    } finally {
      await c.close();
    }
  }

  // updateOptions changes settings of the running daemon, started here or
  // reached over its socket (SystemService.UpdateOptions): every setting
  // given is checked before any is applied.
  async updateOptions(options: UpdatableOptions): Promise<void> {
    if (this.engine !== undefined) {
      updateOptions(this.engine, options);
      return;
    }
    const c = await (await loadGrpcClient()).connect({ socketPath: this.socketPath });
    try {
      await c.updateOptions(options);
    } finally {
      await c.close();
    }
  }

  // cleanup stops serving and flushes the journal. Containers keep running:
  // their monitors outlive the daemon, and a daemon started again adopts
  // them.
  async cleanup(): Promise<void> {
    // Draining: health watchers hear NOT_SERVING before their calls end.
    this.readiness?.drain();
    await new Promise((resolve) => setImmediate(resolve));
    await this.server?.close();
    if (this.engine !== undefined) {
      await this.engine.close();
      await this.engine.bus.close();
      await this.engine.tracer.close();
    }
    await this.lock?.release();
  }
}

// The gRPC client is loaded only by a Remote that connects to another
// daemon; a daemon serving requests never needs it.
async function loadGrpcClient() {
  return (await import("../client/grpc-client.js")).GrpcClient;
}
