// routeByPreface hands each accepted connection to the server of its
// protocol, judged by its first bytes: a connection that opens with the
// HTTP/2 client preface goes to the HTTP/2 side, anything else (an HTTP/1.1
// request line) to the HTTP/1.1 side. The bytes read to decide are put back
// first, so the chosen server sees the connection from its start.
//
// Edge cases:
//   - the preface may arrive in pieces: a prefix of it waits for more bytes;
//   - the first byte that differs from the preface decides HTTP/1.1 at once,
//     so a short HTTP/1.1 request never waits for 24 bytes;
//   - a connection that closes or fails before deciding is dropped quietly
//     (a liveness probe connects and leaves without a byte).
import type * as net from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface ProtocolRoutes {
  http2(socket: net.Socket): void;
  http1(socket: net.Socket): void;
}

export function routeByPreface(socket: net.Socket, routes: ProtocolRoutes): void {
  let seen: Buffer = Buffer.alloc(0);
  const stop = () => {
    socket.off("readable", onReadable);
    socket.off("end", drop);
    socket.off("error", drop);
  };
  const drop = () => {
    stop();
    socket.destroy();
  };
  function onReadable(): void {
    for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const http2 = seen.compare(PREFACE, 0, n, 0, n) === 0;
      if (http2 && n < PREFACE.length) continue;
      stop();
      socket.unshift(seen);
      if (http2) routes.http2(socket);
      else routes.http1(socket);
      return;
    }
  }
  socket.on("readable", onReadable);
  socket.once("end", drop);
  socket.once("error", drop);
}
