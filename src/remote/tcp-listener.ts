// TCP is safe by default: TLS from a certificate and key, mTLS when a client
// CA is given (a client without a certificate, or with one another CA
// signed, fails the handshake, so no handler ever sees it), and plain TCP
// only on a loopback address and only when asked for by name (insecure).
import * as net from "node:net";
import * as tls from "node:tls";
import { invalidArgument } from "../errors/berth-error.js";

export interface TcpOptions {
  host: string;
  port: number;
  // tls is the server's certificate and key (PEM); with clientCa (PEM),
  // only clients with a certificate that CA signed may connect.
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  // insecure allows plain TCP without tls, on a loopback address only.
  insecure?: boolean;
}

export interface TcpServer {
  server: net.Server;
  // event is the one that hands over a connection ready for requests.
  event: "connection" | "secureConnection";
}

export function createTcpServer(tcp: TcpOptions): TcpServer {
  const where = `tcp ${tcp.host}:${tcp.port}`;
  if (!Number.isInteger(tcp.port) || tcp.port < 0 || tcp.port > 65535) {
    throw invalidArgument(`${where}: the port must be a whole number from 0 to 65535`);
  }
  if (tcp.tls === undefined) {
    if (tcp.insecure !== true) throw invalidArgument(`refusing to serve on ${where} without tls: give a certificate and key (or, on a loopback address only, insecure)`);
    if (!isLoopback(tcp.host)) throw invalidArgument(`refusing to serve plain tcp on ${tcp.host}, which is not a loopback address: give a certificate and key, or listen on 127.0.0.1 or ::1`);
    return { server: net.createServer(), event: "connection" };
  }
  if (tcp.insecure === true) throw invalidArgument(`${where}: insecure and tls exclude each other: drop one`);
  const { cert, key, clientCa } = tcp.tls;
  const material = { cert, key, ...(clientCa !== undefined && { ca: clientCa }) };
  try {
    tls.createSecureContext(material);
  } catch (err) {
    throw invalidArgument(`${where}: the tls certificate, key or client CA cannot be used: ${(err as Error).message}`);
  }
  const server = tls.createServer({
    ...material,
    // Both protocols are offered: gRPC needs h2, curl and gRPC-Web proxies
    // may speak HTTP/1.1; the router then reads the connection's preface.
    ALPNProtocols: ["h2", "http/1.1"],
    requestCert: clientCa !== undefined,
    rejectUnauthorized: clientCa !== undefined,
  });
  // A refused handshake is the client's affair; the socket is destroyed
  // by Node and nothing is served.
  server.on("tlsClientError", () => {});
  return { server, event: "secureConnection" };
}

// isLoopback tells whether host names only this machine: 127.0.0.0/8, ::1,
// or "localhost".
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (net.isIPv4(host)) return host.startsWith("127.");
  return net.isIPv6(host) && (host === "::1" || host === "0:0:0:0:0:0:0:1");
}
