// startServer serves berth's routes on a unix socket (only processes that
// can open the socket file may call), and on TCP if asked (tcp-listener.ts:
// TLS or mTLS, plain only on loopback). On every listener gRPC (HTTP/2) is
// answered by @grpc/grpc-js, which costs about half of connect-node per
// call, and Connect and gRPC-Web (HTTP/1.1) by connect-node
// (routed-listener.ts). All of them call the same handlers.
import { chmod, chown, lstat, mkdir, rm } from "node:fs/promises";
import * as http from "node:http";
import * as net from "node:net";
import { dirname } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { alreadyExists, BerthError, failedPrecondition, invalidArgument } from "../errors/berth-error.js";
import { ContainerService } from "../gen/berth/v1/containers_pb.js";
import { EventService } from "../gen/berth/v1/events_pb.js";
import { NetworkService } from "../gen/berth/v1/networks_pb.js";
import { ImageService } from "../gen/berth/v1/images_pb.js";
import { SystemService } from "../gen/berth/v1/system_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { methodSpecsOf } from "./grpc-js-adapter.js";
import type { DaemonMetrics, RpcTimer } from "../metrics/daemon-metrics.js";
import { healthService, type ServingHealth } from "./health-service.js";
import { containerService } from "./container-service.js";
import { eventService } from "./event-service.js";
import { networkService } from "./network-service.js";
import { imageService } from "./image-service.js";
import { createHttpHandler, type NodeHandler } from "./http-handler.js";
import type { ClientResolver } from "./namespace.js";
import { systemService, type SystemDeps } from "./system-service.js";
import { useStrictTextEncoding } from "./strict-text-encoding.js";
import { daemonLimits } from "./daemon-limits.js";
import { authorized } from "./authorized-service.js";
import type { NamespaceAccess } from "./namespace-access.js";
import { createRoutedListener } from "./routed-listener.js";
import { createTcpServer, type TcpOptions } from "./tcp-listener.js";
import { bothTimers } from "./both-timers.js";

export type { TcpOptions };

// SocketAccess is who may open the unix socket: its mode (default 0600)
// and owner; uid and gid left out keep the daemon's own.
export interface SocketAccess {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface ServerOptions {
  socketPath: string;
  routes: (router: ConnectRouter) => void;
  tcp?: TcpOptions;
  socketAccess?: SocketAccess;
  // graceMs bounds how long close() lets calls in flight finish before it
  // cuts their connections.
  graceMs?: number;
  // maxRequestBytes bounds one request message on every protocol; a bigger
  // one is refused with RESOURCE_EXHAUSTED naming the limit.
  maxRequestBytes?: number;
  // maxConcurrentStreams bounds the calls one HTTP/2 connection carries at
  // once: a client's calls past it wait for one to end, as HTTP/2 has them
  // do, and a client that ignores the setting has the stream refused
  // (REFUSED_STREAM, which gRPC clients report as UNAVAILABLE).
  maxConcurrentStreams?: number;
  // health, when given, is served as grpc.health.v1.Health for every
  // routed service.
  health?: ServingHealth;
  // metrics, when given, times every call and answers GET /metrics on the
  // HTTP/1.1 side of every listener.
  metrics?: DaemonMetrics;
  // rpcLog, when given, hears every finished call as the metrics do (the
  // daemon's RPC log lines); drain() tells it the calls still open are
  // about to end with the daemon's shutdown.
  rpcLog?: RpcTimer & { drain?(): void };
}

export interface RunningServer {
  // address is "unix:<socketPath>", the form gRPC clients take as a target.
  readonly address: string;
  // tcpAddress is "host:port" with the bound port, when TCP is served.
  readonly tcpAddress?: string;
  close(): Promise<void>;
}

export type ServiceDeps = ClientResolver & SystemDeps & {
  // access, when given, checks each call's namespace against its caller.
  access?: NamespaceAccess;
};

// berthRoutes registers every berth service over one set of dependencies.
export function berthRoutes(deps: ServiceDeps): (router: ConnectRouter) => void {
  const { access } = deps;
  const guard = <S extends DescService>(service: S, impl: ServiceImpl<S>) => (access === undefined ? impl : authorized(service, impl, access));
  return (router) => {
    router.service(ContainerService, guard(ContainerService, containerService(deps)));
    router.service(EventService, guard(EventService, eventService(deps)));
    router.service(SystemService, guard(SystemService, systemService(deps)));
    router.service(NetworkService, guard(NetworkService, networkService(deps)));
    router.service(ImageService, guard(ImageService, imageService(deps)));
  };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { socketPath, tcp, graceMs = 2000 } = options;
  const { maxRequestBytes, maxConcurrentStreams } = daemonLimits({
    ...(options.maxRequestBytes !== undefined && { maxRequestBytes: options.maxRequestBytes }),
    ...(options.maxConcurrentStreams !== undefined && { maxConcurrentStreams: options.maxConcurrentStreams }),
  });
  const routes = options.health === undefined ? options.routes : withHealth(options.routes, options.health);
  const access = checkSocketAccess(options.socketAccess ?? {});
  const tcpServer = tcp === undefined ? undefined : createTcpServer(tcp);
  // Before the first request is decoded: strings exactly as sent.
  useStrictTextEncoding();
  // Aborting this ends every call's ctx.signal, on both stacks, so endless
  // streams such as Subscribe stop with UNAVAILABLE instead of holding
  // close() open.
  const shutdown = new AbortController();
  const { metrics } = options;
  const timer = bothTimers(metrics, options.rpcLog);
  const rpcs = specGrpcMessage(createHttpHandler({ routes, shutdown: shutdown.signal, readMaxBytes: maxRequestBytes, timer }));
  const handler = metrics === undefined ? rpcs : withMetricsPath(rpcs, metrics);

  await prepareSocketPath(socketPath, access.mode);
  const listener = createRoutedListener(routes, handler, shutdown.signal, { maxRequestBytes, maxConcurrentStreams }, timer);
  const unix = net.createServer();
  listener.serve(unix, "connection");
  let tcpAddress: string | undefined;
  try {
    await listen(unix, socketPath, () => unix.listen(socketPath));
    // The socket's own mode is the access check; its folder was made 0700
    // (0711 when others may use the socket) too, which covers the moment
    // between listen() and chmod().
    if (access.uid !== undefined || access.gid !== undefined) await chown(socketPath, access.uid ?? -1, access.gid ?? -1);
    await chmod(socketPath, access.mode);
    const { ino } = await lstat(socketPath);
    if (tcp !== undefined && tcpServer !== undefined) {
      const { server, event } = tcpServer;
      listener.serve(server, event);
      await listen(server, `${tcp.host}:${tcp.port}`, () => server.listen(tcp.port, tcp.host));
      const bound = server.address() as net.AddressInfo;
      tcpAddress = `${net.isIPv6(tcp.host) ? `[${tcp.host}]` : tcp.host}:${bound.port}`;
    }
    let closing: Promise<void> | undefined;
    return {
      address: `unix:${socketPath}`,
      tcpAddress,
      close: () =>
        (closing ??= (async () => {
          options.rpcLog?.drain?.();
          shutdown.abort(new ConnectError("berth daemon is shutting down", Code.Unavailable));
          await listener.close(graceMs);
          await removeOwnSocket(socketPath, ino);
        })()),
    };
  } catch (err) {
    shutdown.abort();
    await listener.close(0);
    throw err;
  }
}

// withMetricsPath answers GET /metrics with the Prometheus exposition and
// hands every other request on.
function withMetricsPath(handler: NodeHandler, metrics: DaemonMetrics): NodeHandler {
  return (req, res) => {
    if (req.method !== "GET" || req.url !== "/metrics") return handler(req, res);
    const out = res as http.ServerResponse;
    metrics.text().then(
      (text) => out.writeHead(200, { "content-type": metrics.contentType }).end(text),
      (err: unknown) => out.writeHead(500, { "content-type": "text/plain" }).end(`cannot collect metrics: ${(err as Error).message}\n`),
    );
  };
}

// withHealth adds the Health service, answering for every service routes
// registers and for itself.
function withHealth(routes: (router: ConnectRouter) => void, health: ServingHealth): (router: ConnectRouter) => void {
  const services = new Set(methodSpecsOf(routes).map((spec) => spec.method.parent.typeName));
  services.add(Health.typeName);
  return (router) => {
    routes(router);
    router.service(Health, healthService(health, services));
  };
}

// specGrpcMessage re-encodes the grpc-message trailer the way the gRPC spec
// asks: only '%' and bytes outside space..'~' escaped. connect-es escapes with
// encodeURIComponent, and grpc-js decodes with decodeURI, which leaves ':' and
// '/' escaped, so "cannot open /run/x: gone" would reach every Node gRPC
// client as "cannot open %2Frun%2Fx%3A gone". It matters for gRPC-Web and
// any gRPC connect-node answers; grpc-js encodes its own trailers right.
function specGrpcMessage(handler: NodeHandler): NodeHandler {
  return (req, res) => {
    const target = res as { addTrailers(trailers: http.OutgoingHttpHeaders): void };
    const addTrailers = target.addTrailers.bind(res);
    target.addTrailers = (trailers) => {
      const message = trailers["grpc-message"];
      if (typeof message === "string") {
        trailers = { ...trailers, "grpc-message": grpcPercentEncode(decodeURIComponent(message)) };
      }
      addTrailers(trailers);
    };
    handler(req, res);
  };
}

function grpcPercentEncode(message: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(message)) {
    const plain = byte >= 0x20 && byte <= 0x7e && byte !== 0x25;
    out += plain ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// prepareSocketPath clears the way for listen(): it makes the socket's folder
// and removes a socket file left by a daemon that died, but never one a live
// daemon still answers on, and never a file that is not a socket.
async function prepareSocketPath(socketPath: string, mode: number): Promise<void> {
  // Others the mode lets in must be able to pass through a folder made here.
  await mkdir(dirname(socketPath), { recursive: true, mode: (mode & 0o077) === 0 ? 0o700 : 0o711 });
  const stat = await lstat(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (stat === undefined) return;
  if (!stat.isSocket()) throw failedPrecondition(`${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) throw alreadyExists(`another berth daemon is serving ${socketPath}`);
  await rm(socketPath, { force: true });
}

// answers tells whether something accepts connections on a unix socket. A
// socket that cannot be judged (no permission, no answer in time) counts as
// live, since deleting a live daemon's socket would orphan it.
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    const done = (live: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => done(true), 1000);
    probe.once("connect", () => done(true));
    probe.once("error", (err: NodeJS.ErrnoException) => done(err.code !== "ECONNREFUSED" && err.code !== "ENOENT"));
  });
}

function listen(server: net.Server, where: string, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? alreadyExists(`cannot listen on ${where}: address in use`)
          : new BerthError("unavailable", `cannot listen on ${where}: ${err.message}`, { cause: err }),
      );
    };
    server.once("error", onError);
    server.once("listening", () => {
      server.off("error", onError);
      resolve();
    });
    start();
  });
}

function checkSocketAccess(access: SocketAccess): Required<Pick<SocketAccess, "mode">> & SocketAccess {
  const { mode = 0o600, uid, gid } = access;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777 || (mode & 0o200) === 0) {
    throw invalidArgument(`socket mode ${mode.toString(8)} is not usable: give permission bits from 200 to 777 (octal) that let the owner write`);
  }
  for (const [what, id] of [["owner", uid], ["group", gid]] as const) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0 || id > 2 ** 32 - 2)) throw invalidArgument(`socket ${what} ${id} is not a user or group id`);
  }
  return { mode, uid, gid };
}

// removeOwnSocket removes the socket file only if it is still the one this
// server created; a daemon started after us may own that path by now.
async function removeOwnSocket(socketPath: string, ino: number): Promise<void> {
  const stat = await lstat(socketPath).catch(() => undefined);
  if (stat?.ino === ino) await rm(socketPath, { force: true });
}
