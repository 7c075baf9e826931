// Digests as the OCI image spec writes them ("sha256:<64 hex>"). berth's
// store keeps sha256 only; a digest is validated here before any part of it
// forms a path.
import { createHash } from "node:crypto";

import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";

const SHA256 = /^sha256:([a-f0-9]{64})$/;

// hexOf returns the hex part of a sha256 digest, or throws INVALID_ARGUMENT
// naming what a digest looks like.
export function hexOf(digest: string): string {
  const match = SHA256.exec(digest);
  if (match === null) {
    throw invalidArgument(`${quote(digest)} is not a digest berth can use: give sha256: followed by 64 lower-case hex digits`);
  }
  return match[1]!;
}

export function isDigest(value: string): boolean {
  return SHA256.test(value);
}

export function sha256Digest(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

// chainIds returns the chain id of each layer from the config's diff ids,
// as the image spec defines it: ChainID(L0) = DiffID(L0), ChainID(Ln) =
// sha256(ChainID(Ln-1) + " " + DiffID(Ln)). A layer's snapshot is keyed by
// its chain id, so it is unpacked once for every image with the same layers
// beneath it.
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const previous = out.at(-1);
    out.push(previous === undefined ? diffId : sha256Digest(`${previous} ${diffId}`));
  }
  return out;
}
