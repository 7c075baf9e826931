// loadImages adds the images of an archive to the store, keeping their
// names: an OCI layout's index.json (names from the io.containerd.image.name
// or a full org.opencontainers.image.ref.name annotation; an index inside
// picks this host's platform), else a legacy docker save manifest.json
// (RepoTags). Blobs are in the store before any image is committed, so a
// crash leaves no image half-loaded (and the blobs are collected).
import { invalidArgument } from "../errors/berth-error.js";
import { failpoint } from "../faults/failpoint.js";
import { composeImage, hostArchitecture } from "./compose-image.js";
import { sha256Digest } from "./digest.js";
import { asDescriptor, isIndex, MEDIA, type Descriptor } from "./image-manifest.js";
import type { ImageEntry } from "./image-records.js";
import type { ImageStore } from "./image-store.js";
import { readArchive, documentOf, type ArchiveContents, type ReadOptions } from "./read-archive.js";
import { normalizeReference } from "./reference.js";
import { Readable } from "node:stream";

export interface LoadedImage {
  image: ImageEntry;
  names: string[];
  // moved are the names that pointed at another image (from, a manifest)
  // before this load; that image may be dangling now.
  moved: Array<{ name: string; from: string }>;
}

export type LoadOptions = ReadOptions;

const MAX_INDEX_DEPTH = 4;

export async function loadImages(store: ImageStore, archivePath: string, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const contents = await readArchive(store, archivePath, options);
  failpoint("image:load-after-blobs");
  const found = contents.documents.has("index.json") ? await fromIndex(store, contents) : await fromDockerManifest(store, contents);
  if (found.length === 0) throw invalidArgument("the archive holds no image: its index.json or manifest.json lists none");
  const loaded: LoadedImage[] = [];
  for (const { manifest, names } of found) {
    const moved: LoadedImage["moved"] = [];
    let image: ImageEntry | undefined;
    for (const name of names.length === 0 ? [undefined] : names) {
      const committed = await store.commitImage(name, manifest);
      image = committed.image;
      if (name !== undefined && committed.untagged !== undefined) moved.push({ name, from: committed.untagged });
    }
    loaded.push({ image: image!, names, moved });
  }
  return loaded;
}

interface Found {
  manifest: string;
  names: string[];
}

async function fromIndex(store: ImageStore, contents: ArchiveContents): Promise<Found[]> {
  const index = documentOf(contents, "index.json") as Record<string, unknown>;
  if (!Array.isArray(index?.["manifests"])) throw invalidArgument("the archive's index.json lists no manifests");
  const byManifest = new Map<string, string[]>();
  for (const [i, value] of index["manifests"].entries()) {
    const d = asDescriptor(value, `manifest ${i} of index.json`);
    const manifest = await resolveManifest(store, d, 0);
    const names = byManifest.get(manifest) ?? [];
    const name = nameOf(d);
    if (name !== undefined && !names.includes(name)) names.push(name);
    byManifest.set(manifest, names);
  }
  return [...byManifest].map(([manifest, names]) => ({ manifest, names }));
}

function nameOf(d: Descriptor): string | undefined {
  const a = d.annotations ?? {};
  for (const candidate of [a["io.containerd.image.name"], a["org.opencontainers.image.ref.name"]]) {
    // A bare tag ("latest") is a name only within the layout, not a reference.
    if (candidate === undefined || !/[/:]/.test(candidate)) continue;
    try {
      return normalizeReference(candidate);
    } catch {
      continue;
    }
  }
  return undefined;
}

async function resolveManifest(store: ImageStore, d: Descriptor, depth: number): Promise<string> {
  if (!(await store.has(d.digest))) throw invalidArgument(`the archive names ${d.digest} but does not hold it`);
  const doc = await store.content.readJson(d.digest);
  if (!isIndex(doc)) return d.digest;
  if (depth >= MAX_INDEX_DEPTH) throw invalidArgument(`the archive nests indexes deeper than ${MAX_INDEX_DEPTH}`);
  const entries = (doc["manifests"] as unknown[]).map((v, i) => asDescriptor(v, `manifest ${i} of index ${d.digest}`));
  const arch = hostArchitecture();
  const held = await Promise.all(entries.map((e) => store.has(e.digest)));
  const pick =
    entries.find((e, i) => held[i] && e.platform?.os === "linux" && e.platform.architecture === arch) ??
    (entries.length === 1 ? entries[0] : entries.find((e, i) => held[i] && e.platform === undefined));
  if (pick === undefined) {
    const offered = entries.map((e) => `${e.platform?.os ?? "?"}/${e.platform?.architecture ?? "?"}`).join(", ");
    throw invalidArgument(`index ${d.digest} has no image for linux/${arch} in the archive (it lists ${offered})`);
  }
  return resolveManifest(store, pick, depth + 1);
}

// fromDockerManifest reads a legacy `docker save` archive: manifest.json
// lists each image's config file, RepoTags and layer tars.
async function fromDockerManifest(store: ImageStore, contents: ArchiveContents): Promise<Found[]> {
  const list = documentOf(contents, "manifest.json");
  if (!Array.isArray(list)) {
    throw invalidArgument("the archive is no image archive: it has neither index.json (an OCI layout) nor manifest.json (docker save)");
  }
  const found: Found[] = [];
  for (const [i, value] of list.entries()) {
    const item = (value ?? {}) as Record<string, unknown>;
    const configPath = String(item["Config"] ?? "");
    const configBytes = contents.documents.get(configPath);
    if (configBytes === undefined) throw invalidArgument(`image ${i} of manifest.json names config ${JSON.stringify(configPath)}, which the archive lacks`);
    const layers = (Array.isArray(item["Layers"]) ? item["Layers"] : []).map((p: unknown) => {
      const file = contents.files.get(String(p));
      if (file === undefined) throw invalidArgument(`image ${i} of manifest.json names layer ${JSON.stringify(p)}, which the archive lacks`);
      return { mediaType: MEDIA.ociLayer, digest: file.digest, size: file.size };
    });
    await store.ingest(sha256Digest(configBytes), configBytes.length, Readable.from([configBytes]));
    const manifest = await composeImage(store, { layers, diffIds: [], config: {}, configBytes });
    const tags = Array.isArray(item["RepoTags"]) ? item["RepoTags"].filter((t): t is string => typeof t === "string") : [];
    found.push({ manifest, names: tags.map((t) => normalizeReference(t)) });
  }
  return found;
}
