// The built-in busybox root filesystem as an image of the store, named
// berth.local/busybox:latest: listed, inspected, saved and removed like any
// other, and made again from busybox-static the next time a container
// needs the default root filesystem or names it. berth.local is no
// registry: a name in it is never pulled (see builtInImage).
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";

import { BerthError, notFound } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { loadExeca } from "../runtime/lazy-execa.js";
import { ensureBusyboxRootfs } from "../rootfs/busybox-rootfs.js";
import { composeImage } from "./compose-image.js";
import { MEDIA } from "./image-manifest.js";
import type { ImageEntry } from "./image-records.js";
import type { ImageStore } from "./image-store.js";
import { ImageCatalog } from "./image-catalog.js";
import { formatReference, parseReference } from "./reference.js";

export const BUSYBOX_IMAGE = "berth.local/busybox:latest";
// LOCAL_REGISTRY is the host of the images built into berth.
export const LOCAL_REGISTRY = "berth.local";
const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// One build at a time per store: concurrent creates wait for the same one.
const building = new WeakMap<ImageStore, Promise<ImageEntry>>();

// ensureBusyboxImage returns the busybox image, making it first if the
// store has none by that name.
export async function ensureBusyboxImage(store: ImageStore, stateDir: string): Promise<ImageEntry> {
  const found = new ImageCatalog(store).find(BUSYBOX_IMAGE);
  if (found !== undefined) return found;
  let pending = building.get(store);
  if (pending === undefined) {
    pending = store.withLease("busybox", () => build(store, stateDir)).finally(() => building.delete(store));
    building.set(store, pending);
  }
  return pending;
}

// isBuiltInName says whether text is a reference in berth.local (an id or a
// malformed reference is not).
export function isBuiltInName(text: string): boolean {
  try {
    return parseReference(text).registry === LOCAL_REGISTRY;
  } catch {
    return false;
  }
}

// builtInImage stands in for a pull of a berth.local name: busybox is made
// (or found) in the store; any other berth.local name is NOT_FOUND, as no
// registry could have it. undefined means the name is a registry's.
export async function builtInImage(store: ImageStore, stateDir: string, reference: string): Promise<ImageEntry | undefined> {
  if (!isBuiltInName(reference)) return undefined;
  if (formatReference(parseReference(reference)) === BUSYBOX_IMAGE) return ensureBusyboxImage(store, stateDir);
  throw notFound(`the image store has no image ${quote(reference)}, and ${LOCAL_REGISTRY} is no registry to pull it from: it names the images built into berth, of which there is one, ${BUSYBOX_IMAGE}`);
}

async function build(store: ImageStore, stateDir: string): Promise<ImageEntry> {
  const rootfs = await ensureBusyboxRootfs(stateDir);
  const temp = store.content.tempPath("busybox-layer");
  const execa = await loadExeca();
  const tar = execa("tar", ["-c", "-f", "-", "--numeric-owner", "--sort=name", "--mtime=@0", "-C", rootfs, "."], { stdin: "ignore", stdout: "pipe", buffer: { stdout: false }, reject: false });
  await pipeline(tar.stdout!, createWriteStream(temp, { mode: 0o600 }));
  const result = await tar;
  if (result.exitCode !== 0) throw new BerthError("internal", `cannot pack the busybox root filesystem ${rootfs}: ${String(result.stderr).trim()}`);
  const layer = await store.adopt(temp);
  const manifest = await composeImage(store, {
    layers: [{ mediaType: MEDIA.ociLayer, digest: layer.digest, size: layer.size }],
    diffIds: [layer.digest],
    config: { Cmd: ["sh"], Env: [PATH], Labels: { "org.opencontainers.image.title": "berth busybox" } },
  });
  return (await store.commitImage(BUSYBOX_IMAGE, manifest)).image;
}
