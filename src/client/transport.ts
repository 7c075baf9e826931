// createUnixTransport reaches a berth daemon over its unix socket. HTTP/2
// needs an authority, so the URL names localhost, but the bytes go through
// the socket: node's http2.connect() uses createConnection instead of
// dialling the URL. The session manager is ours, not the transport's, so that
// close() can end the HTTP/2 session; a Transport has no close of its own.
import * as net from "node:net";
import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { unavailable, type BerthError } from "../errors/berth-error.js";
import { NAMESPACE_HEADER } from "../remote/namespace.js";

// The protocols berth's one handler answers. gRPC is the default; the others
// exist so that callers (and tests) can prove the same socket speaks them.
export type WireProtocol = "grpc" | "grpc-web" | "connect";

export interface UnixTransportOptions {
  socketPath: string;
  namespace: string;
  protocol?: WireProtocol;
}

export interface UnixTransport {
  readonly transport: Transport;
  // close ends the HTTP/2 session; calls still open fail with CANCELED.
  close(): void;
}

const BASE_URL = "http://localhost";

export function createUnixTransport(options: UnixTransportOptions): UnixTransport {
  const { socketPath, namespace, protocol = "grpc" } = options;
  const sessionManager = new Http2SessionManager(BASE_URL, undefined, {
    createConnection: () => net.connect(socketPath),
  });
  const common = {
    baseUrl: BASE_URL,
    httpVersion: "2" as const,
    sessionManager,
    interceptors: [namespaceHeader(namespace)],
  };
  const transport =
    protocol === "grpc"
      ? createGrpcTransport(common)
      : protocol === "grpc-web"
        ? createGrpcWebTransport(common)
        : createConnectTransport({ ...common, useBinaryFormat: false });
  return { transport, close: () => sessionManager.abort() };
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
