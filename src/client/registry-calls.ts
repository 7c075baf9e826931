// registryCalls are LocalClient's Pull, Login and Logout: they check the
// request, hand it to the daemon's RegistryClient, and turn what it
// reports into the Client's messages (the same the RPCs send).
import { create } from "@bufbuild/protobuf";

import { BerthError, failedPrecondition } from "../errors/berth-error.js";
import { PulledImageSchema, PullProgress_State, PullProgressSchema, type PulledImage, type PullProgress } from "../gen/berth/v1/images_pb.js";
import { formatPlatform } from "../registry/platform.js";
import type { PulledImage as Pulled, LayerState } from "../registry/pull-image.js";
import type { RegistryClient } from "../registry/registry-client.js";
import type { ContentSink } from "../registry/content-sink.js";
import type { LoginOptions, PullOptions } from "../api/client-options.js";

const STATE_OF: Record<LayerState, PullProgress_State> = {
  waiting: PullProgress_State.WAITING,
  downloading: PullProgress_State.DOWNLOADING,
  exists: PullProgress_State.EXISTS,
  done: PullProgress_State.DONE,
};

export function requireRegistry(registry: RegistryClient | undefined): RegistryClient {
  if (registry === undefined) throw failedPrecondition("this client has no image store: pull, login and logout need a daemon started with Remote.start");
  return registry;
}

// pullWith pulls into sink, the engine's image store.
// untagged is the manifest the name pointed at before the pull moved it.
export async function pullWith(registry: RegistryClient, reference: string, options: PullOptions, sink: ContentSink): Promise<{ pulled: PulledImage; untagged?: string }> {
  const onProgress = options.onProgress;
  const pulled = await registry.pull(reference, {
    sink,
    ...(options.platform !== undefined && { platform: options.platform }),
    ...(options.signal !== undefined && { signal: options.signal }),
    onEvent: (event) => {
      if (event.kind !== "layer" || onProgress === undefined) return;
      onProgress(progressOf(event.digest, event.state, event.done, event.total));
    },
  });
  return { pulled: pulledImageOf(pulled), ...(pulled.untagged !== undefined && { untagged: pulled.untagged }) };
}

function progressOf(digest: string, state: LayerState, done: number, total: number): PullProgress {
  return create(PullProgressSchema, { digest, state: STATE_OF[state], doneBytes: BigInt(done), totalBytes: BigInt(total) });
}

export function pulledImageOf(p: Pulled): PulledImage {
  const size = p.manifest.bytes.length + p.config.size + p.layers.reduce((sum, l) => sum + l.size, 0);
  return create(PulledImageSchema, {
    reference: p.name,
    digest: p.digest,
    indexDigest: p.index?.digest ?? "",
    mediaType: p.manifest.mediaType,
    configDigest: p.config.digest,
    layerDigests: p.layers.map((l) => l.digest),
    size: BigInt(size),
    platform: formatPlatform(p.platform),
  });
}

export async function loginWith(registry: RegistryClient, server: string, options: LoginOptions): Promise<{ server: string }> {
  if (typeof options !== "object" || options === null) throw new BerthError("invalid_argument", "login needs a username and a password");
  return { server: await registry.login(server, { username: options.username, password: options.password }, options.signal) };
}

export async function logoutWith(registry: RegistryClient, server: string): Promise<{ removed: boolean }> {
  return { removed: await registry.logout(server) };
}
