// NamespaceAccess's rules and its answers for callers no connection test
// reaches easily: TLS without a client certificate, bad rules.
import { createContextValues, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";

import { isBerthError } from "../../src/errors/berth-error.js";
import { ContainerService } from "../../src/gen/berth/v1/containers_pb.js";
import { PEER_IDENTITY, type CallerIdentity } from "../../src/remote/caller-identity.js";
import { NamespaceAccess } from "../../src/remote/namespace-access.js";

const ctxOf = (identity: CallerIdentity) =>
  ({ service: ContainerService, method: ContainerService.method.list, values: createContextValues().set(PEER_IDENTITY, () => identity) }) as unknown as HandlerContext;

const messageOf = (f: () => void) => {
  try {
    f();
  } catch (err) {
    expect(isBerthError(err)).toBe(true);
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return "allowed";
};

describe("NamespaceAccess", () => {
  const denied: string[] = [];
  const access = new NamespaceAccess([{ identity: "cn:ci", namespaces: ["ci"] }], (ns, who) => denied.push(`${ns} ${who}`));

  it("refuses a TLS call that came with no client certificate, saying so", () => {
    expect(messageOf(() => access.check(ctxOf({ transport: "tls", names: [] }), "ci"))).toBe(
      "permission_denied: berth.v1.ContainerService/List: this daemon authorizes TLS callers by their client certificate, and this call came with none",
    );
    expect(denied).toContain("ci no client certificate");
  });

  it("does not ask a plain connection (the unix socket, loopback TCP)", () => {
    expect(messageOf(() => access.check(ctxOf({ transport: "plain" }), "prod"))).toBe("allowed");
  });

  it("joins what every name of a certificate is allowed", () => {
    const two = new NamespaceAccess([
      { identity: "cn:ci", namespaces: ["ci"] },
      { identity: "uri:spiffe://x/ci", namespaces: ["staging"] },
    ]);
    const ctx = ctxOf({ transport: "tls", names: ["cn:ci", "uri:spiffe://x/ci"] });
    expect(messageOf(() => two.check(ctx, "staging"))).toBe("allowed");
    expect(messageOf(() => two.check(ctx, "prod"))).toMatch(/may not use namespace "prod"; it may use ci, staging$/);
  });

  it.each([
    [{ identity: "ci", namespaces: ["ci"] }, /identity "ci" must be cn:<certificate common name> or uri:/],
    [{ identity: "cn:ci", namespaces: [] }, /names no namespace: give at least one, or \* for all/],
    [{ identity: "cn:ci", namespaces: ["../x"] }, /namespace/],
  ])("refuses the rule %o", (rule, message) => {
    expect(messageOf(() => new NamespaceAccess([rule]))).toMatch(message);
  });
});
