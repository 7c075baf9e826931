// Image references as Docker reads them (distribution/reference):
// [registry[:port]/]path[:tag][@sha256:...]. A first component with a "."
// or ":", or "localhost", is a registry; otherwise the registry is
// docker.io, and a one-component path gets "library/" in front. A reference
// with neither tag nor digest means ":latest".
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

export const DEFAULT_REGISTRY = "docker.io";
const NAME_MAX = 255;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface ImageReference {
  // registry is the host (and port) to pull from, e.g. "docker.io".
  registry: string;
  // repository is the path within it, e.g. "library/busybox".
  repository: string;
  tag?: string;
  digest?: string;
}

const HINT = "a reference looks like busybox, busybox:1.36, registry.example.com:5000/team/app:v1 or name@sha256:<64 hex>";

// parseReference reads and normalizes a reference, or throws INVALID_ARGUMENT.
export function parseReference(text: string): ImageReference {
  const bad = (why: string) => invalidArgument(`image reference ${quote(text)} ${why}: ${HINT}`);
  if (text === "") throw bad("is empty");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad("has a malformed digest");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad("has a malformed tag");
  }
  const parts = rest.split("/");
  let registry = DEFAULT_REGISTRY;
  if (parts.length > 1 && (parts[0]!.includes(".") || parts[0]!.includes(":") || parts[0] === "localhost")) {
    registry = parts.shift()!;
    if (!DOMAIN.test(registry)) throw bad("has a malformed registry host");
  }
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift("library");
  if (parts.some((p) => !COMPONENT.test(p))) throw bad("has a path component that is not lower-case letters, digits and separators");
  const repository = parts.join("/");
  if (`${registry}/${repository}`.length > NAME_MAX) throw bad(`is longer than ${NAME_MAX} characters`);
  if (tag === undefined && digest === undefined) tag = "latest";
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

// repositoryOf is "registry/repository", the name tags and digests hang on.
export function repositoryOf(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

// formatReference writes the normalized reference back as one string.
export function formatReference(ref: ImageReference): string {
  return `${repositoryOf(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

// normalizeReference is formatReference(parseReference(text)).
export function normalizeReference(text: string): string {
  return formatReference(parseReference(text));
}
