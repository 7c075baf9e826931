// readBody reads a small response body (a manifest, a token, an error)
// whole, refusing one past max bytes so a hostile registry cannot make the
// daemon buffer without bound.
import type { Readable } from "node:stream";

import { BerthError } from "../errors/berth-error.js";
import { canceledBy } from "./http-get.js";

export async function readBody(body: Readable, max: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > max) {
        body.destroy();
        throw new BerthError("resource_exhausted", `the registry's answer is over ${max} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (signal.aborted) throw canceledBy(signal);
    throw err instanceof BerthError ? err : new BerthError("unavailable", `the registry's answer broke off: ${(err as Error).message}`, { cause: err });
  }
  return Buffer.concat(chunks);
}
