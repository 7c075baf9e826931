// CopyTo's one-file form: a path, a mode, an owner and the content, written
// as the one entry of an archive would be (extract-archive.ts), so both
// forms share one extraction path and its checks; the content streams.
import type tar from "tar-stream";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

export interface OneFile {
  path: string;
  mode?: number | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
  mtime?: Date | undefined;
}

// checkOneFile checks the file's own fields before any byte is read.
export function checkOneFile(file: OneFile): void {
  const parts = file.path.split("/").filter((c) => c !== "" && c !== ".");
  if (parts.length === 0) throw invalidArgument(`file.path ${quote(file.path)} names no file: give a name such as "config.json"`);
  if (parts.includes("..")) throw invalidArgument(`file.path ${quote(file.path)} has a ".." component, which would leave dest_dir`);
  if (file.path.includes("\0") || Buffer.byteLength(file.path) > 4095) throw invalidArgument(`file.path ${quote(file.path)} holds a NUL byte or is longer than 4095 bytes`);
  if (file.mode !== undefined && (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o7777)) {
    throw invalidArgument(`file.mode ${file.mode} must be permission bits from 0 to 0o7777`);
  }
  for (const key of ["uid", "gid"] as const) {
    const v = file[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1)) throw invalidArgument(`file.${key} ${v} must be from 0 to 2^31-1`);
  }
}

// oneFileHeader is the tar header the one-file form stands for.
export function oneFileHeader(file: OneFile): tar.Headers {
  return { name: file.path, type: "file", mode: file.mode ?? 0o644, uid: file.uid ?? 0, gid: file.gid ?? 0, mtime: file.mtime ?? new Date() };
}
