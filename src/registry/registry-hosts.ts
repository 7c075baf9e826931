// RegistryHosts decides how to reach a registry, as containerd's hosts
// configuration and Docker's daemon options do: HTTPS by default, verified
// against the system's CAs plus any in <certsDir>/<host[:port]>/*.crt
// (Docker's /etc/docker/certs.d layout). A registry listed as insecure and
// the loopback hosts may also be reached over plain HTTP: HTTPS is tried
// first and plain HTTP used when the server answers TLS with plain HTTP
// (containerd's HTTPFallback); an insecure one's certificate is not
// verified either (Docker's rule for insecure registries).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { rootCertificates } from "node:tls";

import { invalidArgument, permissionDenied } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { DOCKER_HUB, DOCKER_HUB_API, normalizeRegistryHost } from "./registry-host.js";

export interface RegistryOptions {
  // insecure lists registries (host[:port]) reached over plain HTTP.
  insecure?: readonly string[];
  // certsDir holds a folder per registry host[:port] with its CA
  // certificates (*.crt), for registries whose TLS certificates the system
  // does not trust.
  certsDir?: string;
  // maxConcurrentDownloads bounds the layers one pull fetches at once
  // (default 3, Docker's).
  maxConcurrentDownloads?: number;
  // allowed, when given, lists the only registries the daemon may reach
  // (registries.conf's blocked entries, the other way round); any other is
  // PERMISSION_DENIED before a byte is sent.
  allowed?: readonly string[];
}

export interface Endpoint {
  // host is the registry as references name it; apiHost where its API is.
  readonly host: string;
  readonly apiHost: string;
  scheme: "https" | "http";
  // plainHttpAllowed: the registry may be reached over plain HTTP.
  readonly plainHttpAllowed: boolean;
  // verifyTls is false only for registries configured insecure.
  readonly verifyTls: boolean;
  // ca replaces the default trust when the certs folder has any.
  readonly ca?: readonly string[];
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

export class RegistryHosts {
  private readonly insecure: ReadonlySet<string>;
  private readonly allowed: ReadonlySet<string> | undefined;
  // plainHttp holds the hosts found to answer plain HTTP, so the probe is
  // paid once per daemon.
  private readonly plainHttp = new Set<string>();
  readonly maxConcurrentDownloads: number;

  constructor(private readonly options: RegistryOptions = {}) {
    this.insecure = new Set((options.insecure ?? []).map((host) => normalizeRegistryHost(host)));
    this.allowed = options.allowed === undefined ? undefined : new Set(options.allowed.map((host) => normalizeRegistryHost(host)));
    const max = options.maxConcurrentDownloads ?? 3;
    if (!Number.isSafeInteger(max) || max < 1 || max > 64) {
      throw invalidArgument(`maxConcurrentDownloads ${quote(String(max))} is not usable: give a whole number from 1 to 64`);
    }
    this.maxConcurrentDownloads = max;
  }

  async endpoint(host: string): Promise<Endpoint> {
    if (this.allowed !== undefined && !this.allowed.has(host)) {
      throw permissionDenied(`registry ${host} is not one this daemon may reach (its allowed registries: ${[...this.allowed].join(", ") || "none"})`);
    }
    const apiHost = host === DOCKER_HUB ? DOCKER_HUB_API : host;
    const insecure = this.insecure.has(host);
    const plainHttpAllowed = insecure || LOOPBACK.test(host);
    const ca = await this.certificates(host);
    return {
      host,
      apiHost,
      scheme: plainHttpAllowed && this.plainHttp.has(host) ? "http" : "https",
      plainHttpAllowed,
      verifyTls: !insecure,
      ...(ca.length > 0 && { ca: [...rootCertificates, ...ca] }),
    };
  }

  // answeredPlainHttp records that host speaks plain HTTP.
  answeredPlainHttp(endpoint: Endpoint): void {
    if (!endpoint.plainHttpAllowed) return;
    endpoint.scheme = "http";
    this.plainHttp.add(endpoint.host);
  }

  // certificates reads <certsDir>/<host>/*.crt; a host without a folder has
  // none. Read per pull, so a CA dropped in place needs no restart.
  private async certificates(host: string): Promise<string[]> {
    if (this.options.certsDir === undefined) return [];
    // host is checked by parseReference (no "/" or ".." can reach here).
    const dir = join(this.options.certsDir, host);
    const names = await readdir(dir).catch(() => [] as string[]);
    return Promise.all(names.filter((n) => n.endsWith(".crt")).sort().map((n) => readFile(join(dir, n), "utf8")));
  }
}
