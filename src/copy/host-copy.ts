// The host's side of `berth cp`: a tar of a host path, and the extraction
// of a container's tar into a host folder. The archive from a container is
// the container's to shape, so it is extracted as into a container, with
// the folder as the root (copy-root.ts): no entry or link in it can write
// outside that folder, the breakout docker cp once had (CVE-2019-14271 and
// its kin).
import { basename, dirname, resolve } from "node:path";

import type { CopyTarget } from "../api/copy-target.js";
import { CopyRoot } from "./copy-root.js";
import { extractArchive, type ExtractOptions, type ExtractResult } from "./extract-archive.js";
import { findPath, packArchive } from "./pack-archive.js";

function hostTarget(rootPath: string): CopyTarget {
  return { containerId: "host", rootPath, live: true, readOnlyRoot: false, mounts: [], stillOwned: async () => true };
}

export interface HostPackOptions {
  // name is the archive's top entry (the copy's new name); the path's own
  // name by default.
  name?: string | undefined;
  owner?: { uid: number; gid: number } | undefined;
  signal?: AbortSignal | undefined;
}

// packHostPath streams a tar of a host path (a final link as the link).
export async function* packHostPath(path: string, options: HostPackOptions = {}): AsyncGenerator<Uint8Array> {
  const absolute = resolve(path);
  const root = await CopyRoot.open(hostTarget(dirname(absolute)));
  try {
    const found = await findPath(root, `/${basename(absolute)}${path.endsWith("/.") ? "/." : ""}`);
    yield* packArchive(root, { ...found, name: options.name ?? found.name }, { signal: options.signal, owner: options.owner });
  } finally {
    await root.close();
  }
}

// extractToHost extracts a tar into an existing host folder, held as the
// root of the extraction.
export async function extractToHost(dir: string, tar: AsyncIterable<Uint8Array>, options: ExtractOptions = {}): Promise<ExtractResult> {
  const root = await CopyRoot.open(hostTarget(resolve(dir)));
  try {
    return await extractArchive(root, "/", tar, options);
  } finally {
    await root.close();
  }
}
