// verified passes a blob's bytes on while hashing and counting them, and
// throws DATA_LOSS at the end when they are not what the manifest promised,
// so a sink that commits only on a clean end never keeps a bad blob. It
// also reports progress, at most every PROGRESS_BYTES.
import { createHash } from "node:crypto";

import { dataLoss } from "../errors/berth-error.js";
import type { BlobRef } from "./content-sink.js";

const PROGRESS_BYTES = 256 * 1024;

export async function* verified(
  source: AsyncIterable<Uint8Array>,
  blob: BlobRef,
  from: string,
  onBytes: (done: number) => void,
): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  let done = 0;
  let reported = 0;
  for await (const chunk of source) {
    done += chunk.length;
    if (done > blob.size) throw dataLoss(`${from} sent more than the ${blob.size} bytes of blob ${blob.digest}; it was not kept`);
    hash.update(chunk);
    yield chunk;
    if (done - reported >= PROGRESS_BYTES) {
      reported = done;
      onBytes(done);
    }
  }
  const digest = `sha256:${hash.digest("hex")}`;
  if (done !== blob.size) throw dataLoss(`${from} sent ${done} bytes of blob ${blob.digest}, not ${blob.size}; it was not kept`);
  if (digest !== blob.digest) throw dataLoss(`${from} sent blob ${blob.digest} with content whose digest is ${digest}; it was not kept`);
  if (done !== reported) onBytes(done);
}
