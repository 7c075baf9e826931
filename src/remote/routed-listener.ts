// createRoutedListener serves the connections of berth's listeners (the
// unix socket, and TCP with or without TLS) on one pair of stacks. It hands
// each connection on by its first bytes (protocol-router.ts): HTTP/2, plain
// gRPC, to a @grpc/grpc-js server; HTTP/1.1 (Connect JSON and gRPC-Web, from
// curl or a proxy) to connect-node. Both stacks call the same handlers. A
// TLS connection is handed on once its handshake succeeded, so a client
// that mTLS refuses never reaches either stack.
//
// grpc-js refuses what is not gRPC on HTTP/2 (415 for another content type)
// before reading the request body, and Node's HTTP/2 server then resets the
// stream with NO_ERROR, as RFC 9113 section 8.1 allows. curl before 8.1
// (Debian 12 has 7.88) fails such a call with "(92) Stream error in the
// HTTP/2 framing layer" when the reset overtakes its body; the router is not
// involved (a bare Node HTTP/2 server answering early does the same).
import * as http from "node:http";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { ConnectRouter } from "@connectrpc/connect";
import { closeServer } from "./close-server.js";
import { createGrpcJsServer, methodSpecsOf } from "./grpc-js-adapter.js";
import { routeByPreface } from "./protocol-router.js";
import { addReflection } from "./reflection.js";
import type { RpcTimer } from "../metrics/daemon-metrics.js";

export interface RoutedListener {
  // serve routes the connections server accepts: "connection" for a plain
  // listener, "secureConnection" for a TLS one.
  serve(server: net.Server, event: "connection" | "secureConnection"): void;
  // close stops accepting and ends each connection as soon as it carries no
  // call: at once for idle ones, after its last call for the others, and
  // for every connection still open once graceMs has passed. The caller
  // aborts the shutdown signal first, so streams end by themselves.
  close(graceMs: number): Promise<void>;
}

export function createRoutedListener(
  routes: (router: ConnectRouter) => void,
  http1Handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  shutdown: AbortSignal,
  // maxRequestBytes bounds one request message, the same for grpc-js as
  // for connect-node (http1Handler); maxConcurrentStreams the calls on one
  // HTTP/2 connection (HTTP/1.1 carries one at a time anyway).
  limits: { maxRequestBytes: number; maxConcurrentStreams: number },
  timer?: RpcTimer,
): RoutedListener {
  const specs = methodSpecsOf(routes);
  const grpcJs = createGrpcJsServer(
    specs,
    shutdown,
    { "grpc.max_receive_message_length": limits.maxRequestBytes, "grpc.max_concurrent_streams": limits.maxConcurrentStreams },
    timer,
  );
  addReflection(grpcJs, specs);
  const injector = grpcJs.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const http1 = new Http1Connections(http1Handler);
  const servers: net.Server[] = [];
  // Every connection accepted, whichever stack holds it, and those that
  // have not yet said which protocol they speak.
  const sockets = new Set<net.Socket>();
  const undecided = new Set<net.Socket>();
  const accept = (socket: net.Socket) => {
    sockets.add(socket);
    undecided.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      undecided.delete(socket);
    });
    routeByPreface(socket, {
      http2: (s) => {
        undecided.delete(s);
        injector.injectConnection(s);
      },
      http1: (s) => {
        undecided.delete(s);
        http1.accept(s);
      },
    });
  };

  let asked = false;
  const ask = () => {
    if (asked) return;
    asked = true;
    for (const socket of undecided) socket.destroy();
    grpcJs.tryShutdown(() => {});
    http1.close();
  };
  const force = () => {
    grpcJs.forceShutdown();
    for (const socket of sockets) socket.destroy();
  };
  const close = async (graceMs: number): Promise<void> => {
    if (!servers.some((server) => server.listening)) grpcJs.forceShutdown();
    await Promise.all(servers.map((server) => closeServer(server, graceMs, ask, force)));
  };
  return {
    serve(server, event) {
      servers.push(server);
      server.on(event, accept);
    },
    close,
  };
}

// Http1Connections serves HTTP/1.1 connections handed over one by one, and
// knows which carry a response, so close can end idle keep-alive
// connections at once and busy ones when their response is done. (An
// http.Server that never listened keeps no such list of its own.)
class Http1Connections {
  readonly #server: http.Server;
  // Connections served, with the number of responses each has in flight.
  readonly #busy = new Map<net.Socket, number>();
  #closing = false;

  constructor(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    this.#server = http.createServer(handler);
    this.#server.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => this.#refuse(err, socket));
    this.#server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      this.#busy.set(socket, (this.#busy.get(socket) ?? 0) + 1);
      res.once("close", () => {
        const left = (this.#busy.get(socket) ?? 1) - 1;
        this.#busy.set(socket, left);
        if (left === 0 && this.#closing) socket.end();
      });
    });
  }

  // refuse answers a request Node could not parse, in Connect's error JSON
  // where Node would send a bare status line (431 for headers over its
  // limit, 400 for the rest); a connection with a response under way, or
  // already gone, is only closed.
  #refuse(err: NodeJS.ErrnoException, socket: net.Socket): void {
    if (err.code === "ECONNRESET" || !socket.writable || (this.#busy.get(socket) ?? 0) > 0) {
      socket.destroy();
      return;
    }
    const tooBig = err.code === "HPE_HEADER_OVERFLOW";
    const [status, reason] = tooBig ? [431, "Request Header Fields Too Large"] : [400, "Bad Request"];
    const body = JSON.stringify(
      tooBig
        ? { code: "resource_exhausted", message: `the request's headers are over ${http.maxHeaderSize} bytes: send shorter header values` }
        : { code: "invalid_argument", message: `not an HTTP/1.1 request berth can read: ${err.message}` },
    );
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  accept(socket: net.Socket): void {
    this.#busy.set(socket, 0);
    socket.once("close", () => this.#busy.delete(socket));
    this.#server.emit("connection", socket);
  }

  close(): void {
    this.#closing = true;
    for (const [socket, inFlight] of this.#busy) if (inFlight === 0) socket.end();
  }
}
