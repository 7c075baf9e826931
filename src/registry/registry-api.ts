// RegistryApi makes the OCI distribution API's GETs for one repository on
// one registry: it adds auth (answering 401 through RegistryAuth), follows
// redirects (blob stores hand out signed URLs on other hosts, which get no
// credentials), and turns a refusal into the status that says why.
import { BerthError, notFound, permissionDenied, unavailable } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { httpGet, PlainHttpAnswer, type HttpResponse } from "./http-get.js";
import { readBody } from "./read-body.js";
import type { RegistryAuth } from "./registry-auth.js";
import type { Endpoint, RegistryHosts } from "./registry-hosts.js";

const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 64 * 1024;

export class RegistryApi {
  constructor(
    private readonly hosts: RegistryHosts,
    readonly endpoint: Endpoint,
    private readonly auth: RegistryAuth,
    // repository is "" for registry-wide calls (the /v2/ check of login).
    readonly repository: string,
  ) {}

  private get scope(): string {
    return this.repository === "" ? "" : `repository:${this.repository}:pull`;
  }

  // get fetches path under /v2/ and returns a 200 response; what is
  // missing is NOT_FOUND (what: "manifest x", "blob y") saying the
  // registry said so.
  async get(path: string, accept: string | undefined, what: string, signal: AbortSignal): Promise<HttpResponse> {
    try {
      return await this.getOnce(path, accept, what, signal);
    } catch (err) {
      if (!(err instanceof PlainHttpAnswer)) throw err;
      this.hosts.answeredPlainHttp(this.endpoint);
      return this.getOnce(path, accept, what, signal);
    }
  }

  private async getOnce(path: string, accept: string | undefined, what: string, signal: AbortSignal): Promise<HttpResponse> {
    let url = new URL(`${this.endpoint.scheme}://${this.endpoint.apiHost}/v2/${path}`);
    let attempt = 0;
    for (let hops = 0; ; ) {
      const sameHost = url.host === this.endpoint.apiHost;
      const authorization = sameHost ? await this.auth.header(this.scope, signal) : undefined;
      const headers: Record<string, string> = {};
      if (accept !== undefined) headers["accept"] = accept;
      if (authorization !== undefined) headers["authorization"] = authorization;
      const res = await httpGet(url, this.endpoint, headers, signal);
      if (res.status === 200) return res;
      if (res.status >= 300 && res.status < 400 && res.headers.location !== undefined && hops < MAX_REDIRECTS) {
        res.body.resume();
        url = new URL(res.headers.location, url);
        hops++;
        continue;
      }
      const body = await readBody(res.body, MAX_ERROR_BODY, signal).catch(() => Buffer.alloc(0));
      if (res.status === 401 && sameHost) {
        attempt++;
        this.auth.unauthorized(res.headers["www-authenticate"], this.scope, authorization, attempt);
        continue;
      }
      throw this.failure(res.status, body, what);
    }
  }

  private failure(status: number, body: Buffer, what: string): BerthError {
    const said = registryErrors(body);
    const host = this.endpoint.host;
    const name = this.repository === "" ? "" : ` of ${this.repository}`;
    if (status === 404) return notFound(`registry ${host} says ${what}${name} is not there${said}`);
    if (status === 403) return permissionDenied(`registry ${host} refused access to ${what}${name}${said}`);
    if (status === 401) return new BerthError("unauthenticated", `registry ${host} wants credentials for ${what}${name}${said}`);
    if (status === 429 || status >= 500) return unavailable(`registry ${host} answered ${status} for ${what}${name}${said}; try again later`);
    return unavailable(`registry ${host} answered ${status} for ${what}${name}${said}`);
  }
}

// registryErrors renders the distribution API's error body
// ({"errors":[{"code","message"}]}) for a message, cut short.
function registryErrors(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const items = (parsed.errors ?? []).slice(0, 3).map((e) => `${String(e.code ?? "")}: ${String(e.message ?? "")}`);
    return items.length > 0 ? ` (${items.map((i) => quote(i).slice(1, -1)).join("; ")})` : "";
  } catch {
    return "";
  }
}
