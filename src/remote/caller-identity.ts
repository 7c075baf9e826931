// CallerIdentity is who a call comes from, as far as its connection says:
// the names of a verified client certificate (mTLS), or nothing for a
// connection that needs none to be trusted (the unix socket, whose mode and
// group are the gate, and plain TCP, which is loopback-only and explicit).
// Each stack puts it in the call's context values (PEER_IDENTITY), so the
// one access check (namespace-access.ts) reads it the same way for both.
import type { PeerCertificate, TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import { createContextKey } from "@connectrpc/connect";

export type CallerIdentity =
  // A connection that is not TLS.
  | { transport: "plain" }
  // TLS: names are "cn:<subject CN>" and "uri:<URI SAN>" of a certificate
  // the client CA verified; none when the client sent no certificate.
  | { transport: "tls"; names: string[] };

// Read lazily: most calls are never asked (no access rules configured).
export const PEER_IDENTITY = createContextKey<(() => CallerIdentity) | undefined>(undefined, { description: "berth caller identity" });

// identityOfSocket reads what the connection carrying a call says.
export function identityOfSocket(socket: Socket): CallerIdentity {
  if (!("encrypted" in socket) || (socket as TLSSocket).encrypted !== true) return { transport: "plain" };
  const tls = socket as TLSSocket;
  return { transport: "tls", names: tls.authorized ? namesOfCertificate(tls.getPeerCertificate()) : [] };
}

// identityOfTls is the same for grpc-js, which gives only the peer
// certificate of a verified TLS connection (getAuthContext).
export function identityOfTls(transportSecurityType: string | undefined, cert: PeerCertificate | undefined): CallerIdentity {
  if (transportSecurityType !== "ssl") return { transport: "plain" };
  return { transport: "tls", names: cert === undefined ? [] : namesOfCertificate(cert) };
}

function namesOfCertificate(cert: PeerCertificate): string[] {
  if (cert === undefined || Object.keys(cert).length === 0) return [];
  const names: string[] = [];
  const cn = cert.subject?.CN;
  for (const value of Array.isArray(cn) ? cn : cn === undefined ? [] : [cn]) names.push(`cn:${value}`);
  // subjectaltname is "DNS:a, URI:spiffe://x/y, IP Address:..."; a URI
  // holding ", " would be ambiguous, and none that names an identity does.
  for (const part of (cert.subjectaltname ?? "").split(", ")) {
    if (part.startsWith("URI:")) names.push(`uri:${part.slice(4)}`);
  }
  return names;
}
