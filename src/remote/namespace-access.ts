// NamespaceAccess is authorization per namespace: which client certificate
// identities may use which namespaces (Remote's `authorization` option).
// With no rules, every caller may use every namespace, as before. With
// rules, a call over TLS must carry a certificate whose names ("cn:..." or
// "uri:...") a rule lists, and may use only that rule's namespaces; "*"
// stands for all of them, and is what Subscribe's all_namespaces and the
// daemon-wide changes (networks, images, the daemon's options) need. A call
// over the unix socket or plain loopback TCP is not asked: the socket's
// mode and group are its gate (Node has no SO_PEERCRED to read its uid).
import type { HandlerContext } from "@connectrpc/connect";
import { invalidArgument, permissionDenied } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { validateNamespace } from "../errors/validate.js";
import { PEER_IDENTITY } from "./caller-identity.js";

export interface AccessRule {
  // identity is "cn:<certificate subject CN>" or "uri:<URI SAN>".
  identity: string;
  // namespaces this identity may use; "*" for all.
  namespaces: string[];
}

export const ALL_NAMESPACES = "*";
// ANY_NAMESPACE asks only that the caller may use some namespace: for reads
// of the daemon itself (Version, Info, ListNetworks...).
export const ANY_NAMESPACE = "";

export class NamespaceAccess {
  readonly #allowed = new Map<string, Set<string>>();

  constructor(
    rules: readonly AccessRule[],
    // denied hears each refusal (for a metric and a log line).
    private readonly denied: (namespace: string, who: string, method: string) => void = () => {},
  ) {
    for (const rule of rules) {
      if (!/^(cn|uri):.+$/.test(rule.identity)) {
        throw invalidArgument(`authorization identity ${quote(rule.identity)} must be cn:<certificate common name> or uri:<URI subject alternative name>`);
      }
      if (rule.namespaces.length === 0) throw invalidArgument(`authorization for ${quote(rule.identity)} names no namespace: give at least one, or * for all`);
      const set = this.#allowed.get(rule.identity) ?? new Set<string>();
      for (const ns of rule.namespaces) set.add(ns === ALL_NAMESPACES ? ns : validateNamespace(ns));
      this.#allowed.set(rule.identity, set);
    }
  }

  // check throws PERMISSION_DENIED unless the call's caller may use
  // namespace (ALL_NAMESPACES: every one).
  check(ctx: HandlerContext, namespace: string): void {
    const identity = ctx.values.get(PEER_IDENTITY)?.();
    if (identity === undefined || identity.transport === "plain") return;
    const method = `${ctx.service.typeName}/${ctx.method.name}`;
    if (identity.names.length === 0) {
      this.denied(namespace, "no client certificate", method);
      throw permissionDenied(`${method}: this daemon authorizes TLS callers by their client certificate, and this call came with none`);
    }
    const may = new Set<string>();
    for (const name of identity.names) for (const ns of this.#allowed.get(name) ?? []) may.add(ns);
    if (may.has(ALL_NAMESPACES) || (namespace === ANY_NAMESPACE ? may.size > 0 : namespace !== ALL_NAMESPACES && may.has(namespace))) return;
    const who = identity.names.join(" ");
    this.denied(namespace, who, method);
    const what = namespace === ALL_NAMESPACES ? "every namespace" : namespace === ANY_NAMESPACE ? "this daemon" : `namespace ${quote(namespace)}`;
    const allowed = may.size === 0 ? "no namespace" : [...may].sort().join(", ");
    throw permissionDenied(`${method}: the client certificate (${who}) may not use ${what}; it may use ${allowed}`);
  }
}
