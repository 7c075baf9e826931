// @ts-check
// The libpod REST API (Podman 4.x) over the service's unix socket, called as
// Podman's own bindings and podman-py call it: HTTP/1.1 from node:http with
// a keep-alive agent (one connection reused call after call, as grpc-js
// reuses its channel for the other systems), JSON bodies, and the events
// endpoint read as a stream of newline-separated JSON objects. node:http is
// the client here because no maintained Node client library for libpod
// exists; what this file adds over it is only the JSON and the line framing.
import http from "node:http";

/** Every path is under this version prefix: the oldest libpod API 4.x serves. */
export const API = "/v4.0.0/libpod";
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * @typedef {object} PodmanEvent the fields of a libpod event this bench reads
 * @property {string} Type "container", "image", "system", ...
 * @property {string} Action "create", "start", "died", "exec_died", "pause", "unpause", ...
 * @property {{ ID: string, Attributes: Record<string, string> }} Actor
 *   Attributes.name is the container's name, Attributes.containerExitCode
 *   the exit code of "died" and "exec_died"
 */

/**
 * PodmanError is a libpod answer other than the one expected, with the
 * message libpod put in its body.
 */
export class PodmanError extends Error {
  /** @override */
  name = "PodmanError";
  /** @type {number} */ status;

  /**
   * @param {string} what
   * @param {number} status
   * @param {string} body
   */
  constructor(what, status, body) {
    let message = body.trim();
    try {
      const parsed = JSON.parse(body);
      if (typeof parsed?.message === "string") message = parsed.message;
    } catch {
      // not JSON: keep the text
    }
    super(`${what}: HTTP ${status}: ${message || "(empty body)"}`);
    this.status = status;
  }
}

export class PodmanClient {
  #socket;
  #agent;

  /**
   * @param {string} socket the service's unix socket
   * @param {{ maxSockets?: number }} [o] connections kept open at most
   *   (the batch runs 8 calls at once)
   */
  constructor(socket, o = {}) {
    this.#socket = socket;
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 16 });
  }

  /**
   * call sends one request and resolves with the parsed JSON answer (or the
   * text when it is not JSON, undefined when empty); any status outside ok
   * throws a PodmanError.
   * @param {"GET" | "POST" | "DELETE"} method
   * @param {string} path under API, with its query string
   * @param {unknown} [body] sent as JSON
   * @param {readonly number[]} [ok]
   * @returns {Promise<any>}
   */
  async call(method, path, body, ok = [200, 201, 204]) {
    const { status, text } = await this.#send(method, path, body);
    if (!ok.includes(status)) throw new PodmanError(`${method} ${path}`, status, text);
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /**
   * events opens GET /events?stream=true with the given filters and calls
   * onEvent for each event. since (Unix seconds) makes libpod read its
   * event log from that moment, so nothing logged after it is missed however
   * late the stream becomes live. The returned close() ends the stream.
   * @param {Record<string, string[]>} filters
   * @param {(event: PodmanEvent) => void} onEvent
   * @param {(err: Error) => void} onError the stream broke (not after close)
   * @param {{ since?: number, agent?: http.Agent }} [o]
   * @returns {() => void}
   */
  events(filters, onEvent, onError, o = {}) {
    const query = new URLSearchParams({ stream: "true", filters: JSON.stringify(filters) });
    if (o.since !== undefined) query.set("since", String(o.since));
    let closed = false;
    const req = http.request({ socketPath: this.#socket, agent: o.agent ?? false, method: "GET", path: `${API}/events?${query}` });
    req.on("response", (res) => {
      if (res.statusCode !== 200) {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => onError(new PodmanError("GET /events", res.statusCode ?? 0, text)));
        return;
      }
      let pending = "";
      res.setEncoding("utf8");
      res.on("data", (/** @type {string} */ chunk) => {
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line !== "") onEvent(JSON.parse(line));
        }
      });
      res.on("end", () => {
        if (!closed) onError(new Error("libpod closed its event stream"));
      });
      res.on("error", (err) => {
        if (!closed) onError(err);
      });
    });
    req.on("error", (err) => {
      if (!closed) onError(err);
    });
    req.end();
    return () => {
      closed = true;
      req.destroy();
    };
  }

  close() {
    this.#agent.destroy();
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} body
   * @returns {Promise<{ status: number, text: string }>}
   */
  #send(method, path, body) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      /** @type {http.OutgoingHttpHeaders} */
      const headers = payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": payload.length };
      const req = http.request({ socketPath: this.#socket, agent: this.#agent, method, path: `${API}${path}`, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms: ${method} ${path}`)));
      req.on("error", reject);
      req.end(payload);
    });
  }
}
