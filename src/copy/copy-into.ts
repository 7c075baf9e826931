// copyInto and copyOutOf are CopyTo and CopyFrom for one container: its
// request checked before anything is looked up, its root opened (the
// caller's openRoot, in the container's queue), the work done, the root
// closed however the copy ends.
import { contentChunks, isCopyFile, type CopyFromOptions, type CopyFromResult, type CopySource, type CopyToOptions, type CopyToResult } from "../api/copy-options.js";
import type { CopyTarget } from "../api/copy-target.js";
import { CopyRoot, release, splitPath } from "./copy-root.js";
import { extractArchive } from "./extract-archive.js";
import { checkOneFile, type OneFile } from "./one-file.js";
import { findPath, packArchive } from "./pack-archive.js";
import { pathStatOf } from "./path-stat.js";

// OpenForCopy runs open with the container's CopyTarget (in its queue).
export type OpenForCopy = <T>(open: (target: CopyTarget) => Promise<T>) => Promise<T>;

// checkCopyTo checks a CopyTo's fields; it returns the one file, if any.
export function checkCopyTo(destDir: string, source: CopySource): OneFile | undefined {
  splitPath("dest_dir", destDir);
  if (!isCopyFile(source)) return undefined;
  const { content: _content, ...file } = source;
  checkOneFile(file);
  return file;
}

export async function copyInto(openForCopy: OpenForCopy, destDir: string, source: CopySource, options: CopyToOptions = {}): Promise<CopyToResult> {
  const file = checkCopyTo(destDir, source);
  const root = await openForCopy((t) => CopyRoot.open(t));
  try {
    const content = isCopyFile(source) ? contentChunks(source.content) : source;
    return await extractArchive(root, destDir, content, { file, signal: options.signal });
  } finally {
    await root.close();
  }
}

export async function copyOutOf(openForCopy: OpenForCopy, path: string, options: CopyFromOptions = {}): Promise<CopyFromResult> {
  splitPath("path", path);
  const root = await openForCopy((t) => CopyRoot.open(t));
  let found;
  try {
    found = await findPath(root, path);
  } catch (err) {
    await root.close();
    throw err;
  }
  const stat = pathStatOf(found.node.name === "" ? "/" : found.node.name, found.node.stat, found.linkTarget, root.target.idMappings);
  if (options.statOnly === true) {
    await release(found.chain, [root.root]);
    await root.close();
    return { stat, tar: empty() };
  }
  const archive = found;
  async function* tar(): AsyncGenerator<Uint8Array> {
    try {
      yield* packArchive(root, archive, { signal: options.signal });
    } finally {
      await root.close();
    }
  }
  return { stat, tar: tar() };
}

async function* empty(): AsyncGenerator<Uint8Array> {}
