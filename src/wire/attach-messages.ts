// The Attach stream's messages, both ways: the Client's AttachInput and
// AttachOutput on one side, AttachRequest and AttachResponse on the wire on
// the other. The server reads requests and writes responses; GrpcClient does
// the reverse, with the same functions, so the two cannot drift apart (and
// so they live here, below both).
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AttachInput, AttachOutput } from "../api/client-options.js";
import { BerthError, invalidArgument } from "../errors/berth-error.js";
import type { AttachRequest, AttachRequestSchema, AttachResponse, AttachResponseSchema } from "../gen/berth/v1/containers_pb.js";

export type AttachRequestInit = MessageInitShape<typeof AttachRequestSchema>;
export type AttachResponseInit = MessageInitShape<typeof AttachResponseSchema>;

export interface AttachStart {
  id: string;
  processId: string;
  logs: boolean;
}

// readAttachRequests splits a request stream into its start message and the
// input that follows it.
export async function readAttachRequests(requests: AsyncIterable<AttachRequest>): Promise<{ start: AttachStart; input: AsyncIterable<AttachInput> }> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true || first.value.message.case !== "start") {
    throw invalidArgument("an Attach stream must begin with a start message naming the container and process");
  }
  const { id, processId, logs } = first.value.message.value;
  return { start: { id, processId, logs }, input: inputOf(it) };
}

async function* inputOf(it: AsyncIterator<AttachRequest>): AsyncGenerator<AttachInput> {
  for (let r = await it.next(); r.done !== true; r = await it.next()) {
    const m = r.value.message;
    switch (m.case) {
      case "stdin":
        yield m.value;
        break;
      case "closeStdin":
        if (m.value) yield { closeStdin: true };
        break;
      case "resize":
        yield { resize: { width: m.value.width, height: m.value.height } };
        break;
      case "start":
        throw invalidArgument("an Attach stream takes one start message, as its first");
      case undefined:
        break;
    }
  }
}

export function attachStartRequest(start: AttachStart): AttachRequestInit {
  return { message: { case: "start", value: start } };
}

export function attachRequestOf(input: AttachInput): AttachRequestInit {
  if (input instanceof Uint8Array) return { message: { case: "stdin", value: input } };
  if ("resize" in input) return { message: { case: "resize", value: input.resize } };
  return { message: { case: "closeStdin", value: true } };
}

export function attachResponseOf(out: AttachOutput): AttachResponseInit {
  if ("exit" in out) return { message: { case: "exit", value: out.exit } };
  return { message: { case: "output", value: { stream: out.stream, data: out.data } } };
}

export function attachOutputOf(res: AttachResponse): AttachOutput {
  const m = res.message;
  switch (m.case) {
    case "output":
      return { stream: m.value.stream, data: m.value.data };
    case "exit":
      return { exit: m.value };
    case undefined:
      throw new BerthError("internal", "the daemon sent an empty Attach message");
  }
}
