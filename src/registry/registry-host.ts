// normalizeRegistryHost checks a registry named to login or logout and
// writes it the way references name it (src/image/reference.ts), mapping
// Docker Hub's aliases to docker.io, so credentials saved under one are
// found for every pull from it.
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { DEFAULT_REGISTRY } from "../image/reference.js";

export { DEFAULT_REGISTRY as DOCKER_HUB };
// The host Docker Hub's API answers on (docker.io itself only redirects).
export const DOCKER_HUB_API = "registry-1.docker.io";

const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?$/;

export function normalizeRegistryHost(text: string): string {
  const host = (typeof text === "string" ? text.trim() : "").replace(/^https?:\/\//, "").replace(/\/(?:v1|v2)?\/?$/, "");
  // A DNS name is at most 253 characters, then ":" and a port.
  if (host === "" || host.length > 259 || !HOST.test(host)) {
    throw invalidArgument(`invalid registry ${quote(text)}: give a host with an optional port, such as "registry.example.com" or "127.0.0.1:5000"`);
  }
  if (host === "index.docker.io" || host === DOCKER_HUB_API) return DEFAULT_REGISTRY;
  return host.toLowerCase();
}
