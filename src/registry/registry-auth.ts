// RegistryAuth answers a registry's 401 the way containerd's
// remotes/docker/authorizer.go does: it reads the challenge, then either
// sends the saved credentials as Basic auth or fetches a Bearer token from
// the challenge's realm (with the credentials, when there are any) for the
// scope asked, and caches it until it expires. One instance serves one
// registry host for one pull or login.
import { BerthError, permissionDenied, unauthenticated } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { parseChallenges } from "./auth-challenge.js";
import type { Credentials } from "./credential-store.js";
import { canceledBy, httpGet } from "./http-get.js";
import { readBody } from "./read-body.js";
import type { Endpoint } from "./registry-hosts.js";

interface Token {
  value: string;
  expiresAt: number;
}

const MAX_TOKEN_RESPONSE = 1 << 20;
// A token without expires_in lasts 60 s (the token spec's default).
const DEFAULT_TOKEN_SECONDS = 60;

export class RegistryAuth {
  private basic = false;
  private bearer: { realm: string; service?: string } | undefined;
  private readonly tokens = new Map<string, Token>();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly credentials: Credentials | undefined,
  ) {}

  // header is the Authorization header for a request needing scope, if
  // any is known to be needed.
  async header(scope: string, signal: AbortSignal): Promise<string | undefined> {
    if (this.bearer !== undefined) return `Bearer ${await this.token(scope, signal)}`;
    if (this.basic && this.credentials !== undefined) {
      return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64")}`;
    }
    return undefined;
  }

  // unauthorized learns from a 401 and says the request is worth one
  // retry; when the same auth was already tried, it throws the error that
  // says why the registry said no.
  // attempt counts the 401s this request has had.
  unauthorized(challenge: string | string[] | undefined, scope: string, sent: string | undefined, attempt: number): void {
    const challenges = parseChallenges(challenge);
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params["realm"] !== undefined);
    if (bearer !== undefined) {
      const realm = bearer.params["realm"]!;
      const service = bearer.params["service"];
      const fresh = this.bearer === undefined || this.bearer.realm !== realm || sent === undefined;
      this.bearer = { realm, ...(service !== undefined && { service }) };
      if (fresh) return;
      // A token was sent and refused: stale or short of the scope. One
      // more token; the token endpoint itself says no to bad credentials.
      this.tokens.delete(scope);
      if (attempt < 2) return;
      throw this.refused(scope);
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      if (this.credentials === undefined) throw this.needsLogin();
      if (!this.basic || sent === undefined) {
        this.basic = true;
        return;
      }
      throw this.badCredentials();
    }
    throw unauthenticated(`registry ${this.endpoint.host} answered 401 with no challenge berth knows (${quote(String(challenge ?? ""))})`);
  }

  private async token(scope: string, signal: AbortSignal): Promise<string> {
    const cached = this.tokens.get(scope);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.value;
    const { realm, service } = this.bearer!;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw unauthenticated(`registry ${this.endpoint.host} named a token realm that is not a URL: ${quote(realm)}`);
    }
    if (service !== undefined) url.searchParams.set("service", service);
    if (scope !== "") url.searchParams.set("scope", scope);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.credentials !== undefined) {
      headers["authorization"] = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64")}`;
    }
    const res = await httpGet(url, this.endpoint, headers, signal);
    const body = await readBody(res.body, MAX_TOKEN_RESPONSE, signal);
    if (res.status === 401) throw this.credentials === undefined ? this.needsLogin() : this.badCredentials();
    if (res.status === 403) throw this.refused(scope);
    if (res.status !== 200) {
      throw new BerthError("unavailable", `the token server ${url.host} of registry ${this.endpoint.host} answered ${res.status}`);
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw unauthenticated(`the token server ${url.host} of registry ${this.endpoint.host} answered with no JSON token`);
    }
    const value = typeof parsed.token === "string" ? parsed.token : typeof parsed.access_token === "string" ? parsed.access_token : "";
    if (value === "") throw unauthenticated(`the token server ${url.host} of registry ${this.endpoint.host} gave no token`);
    const seconds = typeof parsed.expires_in === "number" && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    // Renewed a little early, so a token never expires mid-request.
    this.tokens.set(scope, { value, expiresAt: Date.now() + Math.max(1, seconds - 10) * 1000 });
    if (signal.aborted) throw canceledBy(signal);
    return value;
  }

  private needsLogin(): BerthError {
    return unauthenticated(`registry ${this.endpoint.host} wants credentials: run berth login ${this.endpoint.host}`);
  }

  private badCredentials(): BerthError {
    return unauthenticated(`registry ${this.endpoint.host} refused the credentials of user ${quote(this.credentials?.username ?? "")}: run berth login ${this.endpoint.host} again`);
  }

  private refused(scope: string): BerthError {
    const what = scope.split(":")[1] ?? scope;
    return this.credentials === undefined
      ? unauthenticated(`registry ${this.endpoint.host} refused access to ${quote(what)}: it does not exist or needs credentials (berth login ${this.endpoint.host})`)
      : permissionDenied(`registry ${this.endpoint.host} refused user ${quote(this.credentials.username)} access to ${quote(what)}`);
  }
}
