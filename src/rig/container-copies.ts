// The files a builder copies into a container before its first process
// starts (withCopyFilesToContainer, withCopyContentToContainer), and the
// same copies into a started one.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { posix } from "node:path";

import type { Client } from "../client/client.js";
import { invalidArgument } from "../errors/berth-error.js";

// FileToCopy is a host file, copied to target (an absolute path in the
// container, the file's own name included) with mode, or the host file's
// permission bits when mode is unset.
export interface FileToCopy {
  source: string;
  target: string;
  mode?: number;
}

// ContentToCopy is a file made from a string or bytes at target, with mode
// (0o644 when unset).
export interface ContentToCopy {
  content: string | Uint8Array;
  target: string;
  mode?: number;
}

// copyFiles copies each host file in order; the target's missing folders
// are made.
export async function copyFiles(client: Client, id: string, files: readonly FileToCopy[]): Promise<void> {
  for (const f of files) {
    const target = relativeTarget(f.target);
    const mode = f.mode ?? ((await stat(f.source)).mode & 0o7777);
    await client.copyTo(id, "/", { path: target, content: createReadStream(f.source), mode });
  }
}

export async function copyContents(client: Client, id: string, contents: readonly ContentToCopy[]): Promise<void> {
  for (const c of contents) {
    await client.copyTo(id, "/", { path: relativeTarget(c.target), content: c.content, mode: c.mode ?? 0o644 });
  }
}

// relativeTarget is an absolute container path as CopyTo's file path
// under "/" (CopyTo makes the folders on the way, inside the root).
function relativeTarget(target: string): string {
  if (!posix.isAbsolute(target)) throw invalidArgument(`copy target ${JSON.stringify(target)} is not absolute: give the file's full path in the container, e.g. "/etc/app.conf"`);
  const relative = posix.normalize(target).replace(/^\/+/, "");
  if (relative === "" || target.endsWith("/")) throw invalidArgument(`copy target ${JSON.stringify(target)} names a folder: give the file's full path in the container, name included`);
  return relative;
}
