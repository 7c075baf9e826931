// CopyTo's request stream on the daemon's side: the start message, then the
// bytes of the archive or of the one file.
import { invalidArgument } from "../errors/berth-error.js";
import type { CopyToRequest, CopyToStart } from "../gen/berth/v1/copy_pb.js";

// readCopyToRequests splits a CopyTo stream into its start and its data.
export async function readCopyToRequests(requests: AsyncIterable<CopyToRequest>): Promise<{ start: CopyToStart; data: AsyncIterable<Uint8Array> }> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true || first.value.message.case !== "start") {
    throw invalidArgument("a CopyTo stream must begin with a start message naming the container and dest_dir");
  }
  return { start: first.value.message.value, data: dataOf(it) };
}

async function* dataOf(it: AsyncIterator<CopyToRequest>): AsyncGenerator<Uint8Array> {
  for (let r = await it.next(); r.done !== true; r = await it.next()) {
    const m = r.value.message;
    if (m.case === "start") throw invalidArgument("a CopyTo stream takes one start message, as its first");
    if (m.case === "data") yield m.value;
  }
}
