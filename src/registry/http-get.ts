// httpGet makes one GET to a registry with Node's http/https, so that a
// registry's own CA can be given per host (global fetch takes no CA), the
// body arrives as a stream, and a network failure becomes UNAVAILABLE
// naming the host. Redirects are followed by the caller (registry-api.ts),
// which decides what credentials travel with them.
import * as http from "node:http";
import * as https from "node:https";

import { BerthError, unavailable } from "../errors/berth-error.js";
import type { Endpoint } from "./registry-hosts.js";

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

// How long a registry may take to answer a request's head; a body stalls
// on its own clock (the caller's signal).
const HEAD_TIMEOUT_MS = 30_000;

const TLS_TRUST_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

// One keep-alive agent per trust setting: layers fetched in parallel reuse
// connections instead of a TLS handshake each.
const agents = new Map<string, http.Agent>();

function agentFor(url: URL, endpoint: Endpoint): http.Agent {
  const trust = !endpoint.verifyTls ? "unverified" : endpoint.ca === undefined ? "" : `${endpoint.host}:${endpoint.ca.length}:${endpoint.ca.at(-1)?.length}`;
  const key = `${url.protocol}${trust}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent =
      url.protocol === "https:"
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 16,
            rejectUnauthorized: endpoint.verifyTls,
            ...(endpoint.ca !== undefined && { ca: [...endpoint.ca] }),
          })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
    agents.set(key, agent);
  }
  return agent;
}

export function httpGet(url: URL, endpoint: Endpoint, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(canceledBy(signal));
    const get = url.protocol === "https:" ? https.get : http.get;
    const req = get(url, { headers: { "user-agent": "berth/0.1", ...headers }, agent: agentFor(url, endpoint), signal }, (res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer in ${HEAD_TIMEOUT_MS / 1000} s`), { code: "ETIMEDOUT" })), HEAD_TIMEOUT_MS);
    req.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(signal.aborted ? canceledBy(signal) : unreachable(url, endpoint, err));
    });
  });
}

// canceledBy is the error a cancelled pull ends with: the signal's own
// reason when it is one of ours (a deadline, a shutdown), else CANCELLED.
export function canceledBy(signal: AbortSignal): BerthError {
  return signal.reason instanceof BerthError ? signal.reason : new BerthError("canceled", "the pull was canceled");
}

// PlainHttpAnswer is the failure of an https request to a server that
// answered in plain HTTP; the caller may retry over http.
export class PlainHttpAnswer extends Error {}

function unreachable(url: URL, endpoint: Endpoint, err: NodeJS.ErrnoException): Error {
  if (url.protocol === "https:" && endpoint.plainHttpAllowed && err.code === "EPROTO" && /wrong version number|packet length too long|http request/i.test(err.message)) {
    return new PlainHttpAnswer(err.message);
  }
  const where = url.host === endpoint.apiHost ? `registry ${endpoint.host}` : `${url.host} (for registry ${endpoint.host})`;
  if (err.code !== undefined && TLS_TRUST_CODES.has(err.code)) {
    return unavailable(
      `cannot reach ${where} over https: its certificate is not trusted (${err.message}); put its CA certificate in <certsDir>/${endpoint.host}/ca.crt, or list the registry as insecure to use plain http`,
      err,
    );
  }
  return unavailable(`cannot reach ${where}: ${err.message}`, err);
}
