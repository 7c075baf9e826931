// The shapes of Client.copyTo and Client.copyFrom (files into and out of a
// container, as docker cp).
import type { PathStat } from "../gen/berth/v1/copy_pb.js";

// CopyFileContent is one file to write, without a tar archive: path is
// relative to the destination folder, whose missing folders are made.
export interface CopyFileContent {
  path: string;
  content: Uint8Array | string | AsyncIterable<Uint8Array>;
  // mode is the permission bits, 0o644 by default.
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
}

// CopySource is a tar archive as a stream of bytes (a Node Readable is
// one), or one file.
export type CopySource = AsyncIterable<Uint8Array> | CopyFileContent;

export interface CopyToOptions {
  // signal cancels the copy; what was written so far stays.
  signal?: AbortSignal;
}

export interface CopyToResult {
  // entries is how many files, folders and links were written.
  entries: number;
  // bytes is how many bytes of file content were written.
  bytes: number;
}

export interface CopyFromOptions {
  signal?: AbortSignal;
  // statOnly answers with the stat alone; tar is then empty.
  statOnly?: boolean;
}

export interface CopyFromResult {
  stat: PathStat;
  // tar is the archive, pulled as it is read: iterate it to its end or
  // leave the loop (or abort the signal) to end the copy.
  tar: AsyncIterable<Uint8Array>;
}

// isCopyFile tells the one-file form from a tar stream.
export function isCopyFile(source: CopySource): source is CopyFileContent {
  return typeof source === "object" && source !== null && "content" in source && "path" in source && !(Symbol.asyncIterator in source);
}

// contentChunks is a one-file content as a stream of bytes.
export async function* contentChunks(content: CopyFileContent["content"]): AsyncGenerator<Uint8Array> {
  if (typeof content === "string") yield Buffer.from(content);
  else if (content instanceof Uint8Array) yield content;
  else yield* content;
}
