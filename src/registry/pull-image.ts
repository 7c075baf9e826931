// pullImage fetches one image into a ContentSink: the manifest (through its
// index when the tag names one), the config, then the layers, at most
// maxConcurrent at a time, each checked against its digest as it streams,
// shared with any other pull fetching the same blob, and unpacked (by a
// sink that can) as soon as it is in. It reports each
// layer's progress as it goes; the caller commits the image record only
// once every blob is in, so an interrupted pull leaves no image behind.
import { Readable } from "node:stream";

import type { ContentSink, BlobRef } from "./content-sink.js";
import type { Descriptor } from "./descriptor.js";
import { canceledBy } from "./http-get.js";
import { formatReference, type ImageReference } from "../image/reference.js";
import type { Platform } from "./platform.js";
import type { RegistryApi } from "./registry-api.js";
import { resolveImage, type ManifestBlob } from "./resolve-image.js";
import { runBounded } from "../image/run-bounded.js";
import type { SharedDownloads } from "./shared-downloads.js";
import { verified } from "./verify-digest.js";

export type LayerState = "waiting" | "downloading" | "exists" | "done";

export type PullEvent =
  | { kind: "resolved"; name: string; digest: string; layers: BlobRef[] }
  | { kind: "layer"; digest: string; state: LayerState; done: number; total: number };

export interface PulledImage {
  // name is the reference as pulled, in full: registry/repository:tag.
  name: string;
  reference: ImageReference;
  // digest is the manifest's digest (what name@digest would pull again).
  digest: string;
  index?: ManifestBlob;
  manifest: ManifestBlob;
  config: Descriptor;
  layers: Descriptor[];
  platform: Platform;
  // untagged is the manifest the name pointed at before this pull moved it.
  untagged?: string;
}

export interface PullContext {
  api: RegistryApi;
  sink: ContentSink;
  downloads: SharedDownloads;
  maxConcurrent: number;
}

export async function pullImage(
  ctx: PullContext,
  ref: ImageReference,
  platform: Platform,
  signal: AbortSignal,
  onEvent: (event: PullEvent) => void,
): Promise<PulledImage> {
  const resolved = await resolveImage(ctx.api, ref, platform, signal);
  const name = formatReference(ref);
  onEvent({ kind: "resolved", name, digest: resolved.manifest.digest, layers: resolved.layers.map(({ digest, size }) => ({ digest, size })) });
  for (const layer of resolved.layers) onEvent({ kind: "layer", digest: layer.digest, state: "waiting", done: 0, total: layer.size });
  for (const blob of [resolved.index, resolved.manifest]) {
    if (blob !== undefined) await storeBytes(ctx.sink, blob, signal);
  }
  await fetchBlob(ctx, resolved.config, signal, () => {});
  // Layers shared by several entries of one manifest are fetched once.
  const unique = [...new Map(resolved.layers.map((l) => [l.digest, l])).values()];
  // The first layer that fails ends the pull's other downloads: each is
  // stopped (its partly written blob removed) unless another pull waits
  // on it too (SharedDownloads), and runBounded reports the failure once
  // they have settled. Left running, they went on writing into the ingest
  // folder for a pull that had failed, and a stalled one held the failure
  // back from the caller for as long as it stalled.
  const layers = new AbortController();
  const stopLayers = () => layers.abort(signal.reason);
  signal.addEventListener("abort", stopLayers, { once: true });
  if (signal.aborted) stopLayers();
  try {
    await runBounded(unique, ctx.maxConcurrent, async (layer) => {
      const total = layer.size;
      try {
        const state = await fetchBlob(ctx, layer, layers.signal, (done) => onEvent({ kind: "layer", digest: layer.digest, state: "downloading", done, total }));
        // Unpacked as soon as it is in, while the other layers download
        // (as containerd 1.7's unpacker does); the commit finds it made.
        if (state === "done" && ctx.sink.prepareLayer !== undefined && !layers.signal.aborted) {
          await ctx.sink.prepareLayer(resolved.config.digest, layer.digest, resolved.layers.indexOf(layer));
        }
        onEvent({ kind: "layer", digest: layer.digest, state, done: total, total });
      } catch (err) {
        if (!layers.signal.aborted) layers.abort(err);
        throw err;
      }
    });
  } finally {
    signal.removeEventListener("abort", stopLayers);
  }
  if (signal.aborted) throw canceledBy(signal);
  return { name, reference: ref, digest: resolved.manifest.digest, ...resolved };
}

// fetchBlob makes sure the blob is in the sink: "exists" when it already
// was, "done" once it has been downloaded here or by a pull it joined.
async function fetchBlob(ctx: PullContext, blob: Descriptor, signal: AbortSignal, onBytes: (done: number) => void): Promise<"exists" | "done"> {
  if (await ctx.sink.has(blob.digest)) return "exists";
  const { api } = ctx;
  const from = `registry ${api.endpoint.host}`;
  await ctx.downloads.join(
    blob.digest,
    async (own, progress) => {
      const res = await api.get(`${api.repository}/blobs/${blob.digest}`, undefined, `blob ${blob.digest}`, own);
      try {
        await ctx.sink.ingest(blob.digest, blob.size, Readable.from(verified(res.body, blob, from, progress)), { signal: own });
      } catch (err) {
        throw own.aborted ? canceledBy(own) : err;
      } finally {
        res.body.destroy();
      }
    },
    onBytes,
    signal,
  );
  return "done";
}

async function storeBytes(sink: ContentSink, blob: ManifestBlob, signal: AbortSignal): Promise<void> {
  if (await sink.has(blob.digest)) return;
  const ref = { digest: blob.digest, size: blob.bytes.length };
  // Checked when fetched; checked again here, so the sink's one rule
  // (a clean end means a good blob) holds for these as well.
  async function* once() {
    yield blob.bytes;
  }
  await sink.ingest(ref.digest, ref.size, Readable.from(verified(once(), ref, "the manifest", () => {})), { signal }).catch((err: unknown) => {
    throw signal.aborted ? canceledBy(signal) : err;
  });
}
