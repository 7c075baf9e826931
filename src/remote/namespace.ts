// Every call names its namespace in one request header
// (src/wire/namespace-header.ts); a caller that sends none works in
// "default", as containerd does.
import type { HandlerContext } from "@connectrpc/connect";
import type { Client } from "../client/client.js";
import { validateNamespace } from "../errors/validate.js";
import { DEFAULT_NAMESPACE, NAMESPACE_HEADER } from "../wire/namespace-header.js";

// ClientResolver hands the RPC layer the Client of one namespace.
export interface ClientResolver {
  clientFor(namespace: string): Client;
}

// namespaceOf reads and validates the namespace of a request; a bad name is
// INVALID_ARGUMENT, since namespaces become path components.
export function namespaceOf(headers: Headers): string {
  const value = headers.get(NAMESPACE_HEADER);
  return validateNamespace(value === null || value === "" ? DEFAULT_NAMESPACE : headerText(value));
}

// headerText is the text a client sent in a header. Node reads header bytes
// as latin1 (HTTP/1.1 and HTTP/2 alike), so UTF-8 "é" arrives as "Ã©"; a
// message quoting it must show what the client wrote. Bytes that are not
// UTF-8 are shown as they came.
export function headerText(value: string): string {
  if (!/[\x80-\xff]/.test(value) || /[^\x00-\xff]/.test(value)) return value;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(value, "latin1"));
  } catch {
    return value;
  }
}

// clientForCall resolves the Client that serves one call.
export function clientForCall(deps: ClientResolver, ctx: HandlerContext): Client {
  return deps.clientFor(namespaceOf(ctx.requestHeader));
}
