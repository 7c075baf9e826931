// createUnixTransport reaches a berth daemon over its unix socket. The
// daemon routes each connection by protocol: HTTP/2 is gRPC (grpc-js
// answers it), HTTP/1.1 is Connect or gRPC-Web (connect-node answers it), so
// gRPC goes over HTTP/2 and the other two over HTTP/1.1. HTTP/2 needs an
// authority, so the URL names localhost, but the bytes go through the
// socket: node's http2.connect() uses createConnection instead of dialling
// the URL, and http.request() takes the socketPath. The session manager (or
// agent) is ours, not the transport's, so that close() can end its
// connections; a Transport has no close of its own.
import * as http from "node:http";
import * as net from "node:net";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { unavailable, type BerthError } from "../errors/berth-error.js";
import { NAMESPACE_HEADER } from "../wire/namespace-header.js";

// The protocols the daemon answers. gRPC is the default; the others exist so
// that callers (and tests) can prove the same socket speaks them. Over
// HTTP/1.1 they carry unary and server-streaming calls, not Attach.
export type WireProtocol = "grpc" | "grpc-web" | "connect";

export interface UnixTransportOptions {
  socketPath: string;
  namespace: string;
  protocol?: WireProtocol;
}

export interface UnixTransport {
  readonly transport: Transport;
  // close ends the transport's connections; calls still open fail.
  close(): void;
}

const BASE_URL = "http://localhost";

export function createUnixTransport(options: UnixTransportOptions): UnixTransport {
  const { socketPath, namespace, protocol = "grpc" } = options;
  const interceptors = [namespaceHeader(namespace)];
  if (protocol === "grpc") {
    const sessionManager = new Http2SessionManager(BASE_URL, undefined, {
      createConnection: () => net.connect(socketPath),
    });
    const transport = createGrpcTransport({ baseUrl: BASE_URL, sessionManager, interceptors });
    return { transport, close: () => sessionManager.abort() };
  }
  const agent = new http.Agent({ keepAlive: true });
  const common = { baseUrl: BASE_URL, httpVersion: "1.1" as const, nodeOptions: { socketPath, agent }, interceptors };
  const transport =
    protocol === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport({ ...common, useBinaryFormat: false });
  return { transport, close: () => agent.destroy() };
}

// namespaceHeader names the caller's namespace on every call, unary or
// streaming, so no method can forget it.
function namespaceHeader(namespace: string): Interceptor {
  return (next) => async (req) => {
    req.header.set(NAMESPACE_HEADER, namespace);
    return next(req);
  };
}

// Codes of a socket that cannot be reached at all. connect-node maps
// ECONNREFUSED to UNAVAILABLE but leaves ENOENT (no socket file, the usual
// "daemon not running" on a unix socket) as INTERNAL.
const UNREACHABLE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ENOTSOCK"]);

// unreachableError recognises a failure to open the socket and says so in
// terms of the daemon; it returns undefined for any other failure.
export function unreachableError(err: unknown, socketPath: string): BerthError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const { code, syscall } = e as NodeJS.ErrnoException;
    if (syscall === "connect" && code !== undefined && UNREACHABLE.has(code)) {
      return unavailable(`cannot reach a berth daemon at ${socketPath}: ${e.message}`, err);
    }
  }
  return undefined;
}

// connectionLostError recognises a call cut off because its connection
// ended under it: the daemon died or dropped the socket mid-call.
// connect-node reports that as ABORTED (a reset socket, "socket hang up")
// or CANCELED (an HTTP/2 stream closed with CANCEL as its session died),
// codes the README keeps for a concurrency conflict and the caller's own
// cancel. Such an error carries no response metadata, which a status the
// daemon sent always does (its content-type at least), so a daemon's own
// ABORTED passes through. A call its caller cancelled is left alone; it
// returns undefined for every other failure.
export function connectionLostError(err: unknown, socketPath: string, cancelledByCaller: boolean): BerthError | undefined {
  if (cancelledByCaller || !(err instanceof ConnectError)) return undefined;
  if (err.code !== Code.Aborted && err.code !== Code.Canceled) return undefined;
  let received = false;
  err.metadata.forEach(() => (received = true));
  if (received) return undefined;
  return unavailable(
    `the berth daemon at ${socketPath} went away mid-call (${err.rawMessage}): the call may or may not have taken effect; check its state once the daemon is back`,
    err,
  );
}
