// createUnixListener is the one listener of berth's unix socket. It accepts
// every connection and hands it on by its first bytes (protocol-router.ts):
// HTTP/2, which on a unix socket means plain gRPC, to a @grpc/grpc-js server;
// HTTP/1.1 (Connect JSON and gRPC-Web, from curl or a proxy) to
// connect-node. Both stacks call the same handlers.
import * as http from "node:http";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { ConnectRouter } from "@connectrpc/connect";
import { closeServer } from "./close-server.js";
import { createGrpcJsServer, methodSpecsOf } from "./grpc-js-adapter.js";
import { routeByPreface } from "./protocol-router.js";

// MAX_REQUEST_BYTES bounds one request message, as containerd's 16 MiB does;
// grpc-js's own default is 4 MiB.
const MAX_REQUEST_BYTES = 16 << 20;

export interface UnixListener {
  readonly server: net.Server;
  // close stops accepting and ends each connection as soon as it carries no
  // call: at once for idle ones, after its last call for the others, and
  // for every connection still open once graceMs has passed. The caller
  // aborts the shutdown signal first, so streams end by themselves.
  close(graceMs: number): Promise<void>;
}

export function createUnixListener(
  routes: (router: ConnectRouter) => void,
  http1Handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  shutdown: AbortSignal,
): UnixListener {
  const grpcJs = createGrpcJsServer(methodSpecsOf(routes), shutdown, {
    "grpc.max_receive_message_length": MAX_REQUEST_BYTES,
  });
  const injector = grpcJs.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const http1 = new Http1Connections(http1Handler);
  // Every connection accepted, whichever stack holds it, and those that
  // have not yet said which protocol they speak.
  const sockets = new Set<net.Socket>();
  const undecided = new Set<net.Socket>();
  const server = net.createServer((socket) => {
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
  });

  const close = async (graceMs: number): Promise<void> => {
    if (!server.listening) grpcJs.forceShutdown();
    await closeServer(
      server,
      graceMs,
      () => {
        for (const socket of undecided) socket.destroy();
        grpcJs.tryShutdown(() => {});
        http1.close();
      },
      () => {
        grpcJs.forceShutdown();
        for (const socket of sockets) socket.destroy();
      },
    );
  };
  return { server, close };
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
