// RegistryClient is the daemon's one door to registries: pull an image
// into the store's content, and check and keep (or forget) a registry's
// credentials. It holds what outlives one call: how to reach each host,
// the saved credentials, and the downloads in flight that pulls share.
import { BerthError, failedPrecondition, isBerthError, unauthenticated } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { failpoint } from "../faults/failpoint.js";
import type { ContentSink } from "./content-sink.js";
import { CredentialStore, type Credentials } from "./credential-store.js";
import { canceledBy } from "./http-get.js";
import { parseReference, type ImageReference } from "../image/reference.js";
import { normalizeRegistryHost } from "./registry-host.js";
import { hostPlatform, parsePlatform, type Platform } from "./platform.js";
import { pullImage, type PulledImage, type PullEvent } from "./pull-image.js";
import { RegistryApi } from "./registry-api.js";
import { RegistryAuth } from "./registry-auth.js";
import { RegistryHosts, type RegistryOptions } from "./registry-hosts.js";
import { SharedDownloads } from "./shared-downloads.js";

export interface PullOptions {
  // platform is "os/arch[/variant]"; the host's by default.
  platform?: string;
  signal?: AbortSignal;
  onEvent?: (event: PullEvent) => void;
  // sink is the store to pull into, instead of the client's own.
  sink?: ContentSink;
}

const MAX_CREDENTIAL = 4096;

export class RegistryClient {
  readonly hosts: RegistryHosts;
  readonly credentials: CredentialStore;
  readonly downloads = new SharedDownloads();

  constructor(
    options: RegistryOptions & { credentialsFile: string },
    private readonly sink?: ContentSink,
  ) {
    this.hosts = new RegistryHosts(options);
    this.credentials = new CredentialStore(options.credentialsFile);
  }

  // check validates a pull's request without any network: a malformed
  // reference or platform is INVALID_ARGUMENT before anything starts.
  check(reference: string, platform?: string): { ref: ImageReference; platform: Platform } {
    return { ref: parseReference(reference), platform: platform === undefined || platform === "" ? hostPlatform() : parsePlatform(platform) };
  }

  async pull(reference: string, options: PullOptions = {}): Promise<PulledImage> {
    const { ref, platform } = this.check(reference, options.platform);
    const sink = options.sink ?? this.sink;
    if (sink === undefined) throw failedPrecondition("this registry client has no image store to pull into");
    const signal = options.signal ?? new AbortController().signal;
    const endpoint = await this.hosts.endpoint(ref.registry);
    const auth = new RegistryAuth(endpoint, await this.credentials.get(ref.registry));
    const api = new RegistryApi(this.hosts, endpoint, auth, ref.repository);
    const result = await pullImage(
      { api, sink, downloads: this.downloads, maxConcurrent: this.hosts.maxConcurrentDownloads },
      ref,
      platform,
      signal,
      options.onEvent ?? (() => {}),
    );
    if (signal.aborted) throw canceledBy(signal);
    // Only now does the image exist: named by its tag (a pull by digest
    // alone names nothing, as with Docker), with the digest it came by.
    const name = ref.tag === undefined ? undefined : `${ref.registry}/${ref.repository}:${ref.tag}`;
    failpoint("pull:before-commit");
    const { untagged } = await sink.commitImage(name, result.digest, { repoDigest: `${ref.registry}/${ref.repository}@${result.index?.digest ?? result.digest}` });
    return { ...result, ...(untagged !== undefined && { untagged }) };
  }

  // login checks the credentials against the registry (its /v2/ endpoint,
  // through whatever auth it asks for) and saves them only when it says
  // yes. It returns the host as saved.
  async login(server: string, credentials: Credentials, signal: AbortSignal = new AbortController().signal): Promise<string> {
    const host = normalizeRegistryHost(server);
    checkCredential("username", credentials.username);
    checkCredential("password", credentials.password);
    const endpoint = await this.hosts.endpoint(host);
    const api = new RegistryApi(this.hosts, endpoint, new RegistryAuth(endpoint, credentials), "");
    try {
      const res = await api.get("", undefined, "the API root", signal);
      res.body.resume();
    } catch (err) {
      // A registry that needs no credentials at all says 200 to anyone: that
      // proves nothing about these, but there is nothing more to check.
      if (isBerthError(err, "not_found")) throw unauthenticated(`registry ${host} has no /v2/ API: is it a registry?`);
      throw err;
    }
    await this.credentials.set(host, credentials);
    return host;
  }

  async logout(server: string): Promise<boolean> {
    return this.credentials.remove(normalizeRegistryHost(server));
  }
}

function checkCredential(field: string, value: string): void {
  if (typeof value !== "string" || value === "") throw new BerthError("invalid_argument", `login needs a ${field}`);
  if (value.length > MAX_CREDENTIAL) throw new BerthError("invalid_argument", `the ${field} is longer than ${MAX_CREDENTIAL} characters`);
  // A username with ":" cannot travel in Basic auth; a control character
  // has no place in either.
  if (field === "username" && value.includes(":")) throw new BerthError("invalid_argument", `the username ${quote(value)} contains ":", which Basic auth cannot carry`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new BerthError("invalid_argument", `the ${field} contains a control character`);
}
