// authorized wraps a service's handlers so each call is checked against
// NamespaceAccess before its handler runs (before a streamed request is
// read): the namespace its header names, or, for what is not a namespace's,
// the rule below. One wrapper for every service, so a new RPC is covered
// by default (as a namespaced call) rather than forgotten.
import type { DescService } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { toConnectError } from "../wire/status.js";
import { ALL_NAMESPACES, ANY_NAMESPACE, type NamespaceAccess } from "./namespace-access.js";
import { namespaceOf } from "./namespace.js";

// Changes to what every namespace shares (and to the daemon's own
// settings) need an identity allowed "*".
const DAEMON_WIDE = new Set([
  "berth.v1.SystemService/UpdateOptions",
  "berth.v1.NetworkService/CreateNetwork",
  "berth.v1.NetworkService/RemoveNetwork",
  "berth.v1.ImageService/Tag",
  "berth.v1.ImageService/Remove",
  "berth.v1.ImageService/Prune",
  "berth.v1.ImageService/Login",
  "berth.v1.ImageService/Logout",
]);

// Reads of the daemon and additions to the shared image store need only
// an identity allowed some namespace.
const NAMESPACE_FREE = new Set([
  "berth.v1.SystemService/Version",
  "berth.v1.SystemService/Ping",
  "berth.v1.SystemService/Info",
  "berth.v1.NetworkService/ListNetworks",
  "berth.v1.NetworkService/InspectNetwork",
  "berth.v1.ImageService/List",
  "berth.v1.ImageService/Inspect",
  "berth.v1.ImageService/Pull",
  "berth.v1.ImageService/Load",
  "berth.v1.ImageService/Save",
]);

// namespaceAsked is what a call must be allowed.
function namespaceAsked(ctx: HandlerContext, request: unknown): string {
  const method = `${ctx.service.typeName}/${ctx.method.name}`;
  if (DAEMON_WIDE.has(method)) return ALL_NAMESPACES;
  if (NAMESPACE_FREE.has(method)) return ANY_NAMESPACE;
  // Subscribe's all_namespaces reaches past the header's namespace.
  if ((request as { allNamespaces?: boolean } | undefined)?.allNamespaces === true) return ALL_NAMESPACES;
  return namespaceOf(ctx.requestHeader);
}

type Handler = (request: unknown, ctx: HandlerContext) => unknown;

export function authorized<S extends DescService>(service: S, impl: ServiceImpl<S>, access: NamespaceAccess): ServiceImpl<S> {
  const wrapped: Record<string, Handler> = {};
  for (const method of service.methods) {
    const handler = (impl as unknown as Record<string, Handler | undefined>)[method.localName];
    if (handler === undefined) continue;
    const check = (request: unknown, ctx: HandlerContext) => {
      try {
        // A client-streamed request is not read before the check, so it
        // names its namespace by header only.
        access.check(ctx, namespaceAsked(ctx, method.methodKind === "unary" || method.methodKind === "server_streaming" ? request : undefined));
      } catch (err) {
        throw toConnectError(err);
      }
    };
    wrapped[method.localName] =
      method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming"
        ? async function* (request: unknown, ctx: HandlerContext) {
            check(request, ctx);
            yield* handler(request, ctx) as AsyncIterable<unknown>;
          }
        : async (request: unknown, ctx: HandlerContext) => {
            check(request, ctx);
            return handler(request, ctx);
          };
  }
  return wrapped as unknown as ServiceImpl<S>;
}
