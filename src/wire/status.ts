// The one place where berth's error codes meet gRPC status codes. The server
// converts with toConnectError as an error leaves a handler; the gRPC client
// converts back with fromConnectError, so a remote caller sees the same code
// and message as an in-process one. Both sides use it, so it lives in
// src/wire, below src/remote and src/client alike.
import { Code, ConnectError } from "@connectrpc/connect";
import { BerthError, type ErrorCode } from "../errors/berth-error.js";

// One table, read both ways, so the two directions cannot drift apart.
const CODE_OF: Record<ErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  out_of_range: Code.OutOfRange,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  canceled: Code.Canceled,
  unimplemented: Code.Unimplemented,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  data_loss: Code.DataLoss,
  internal: Code.Internal,
};

const ERROR_CODE_OF = new Map<Code, ErrorCode>(
  Object.entries(CODE_OF).map(([name, code]) => [code, name as ErrorCode]),
);

// toConnectError turns whatever a handler caught into the status sent on the
// wire. A ConnectError passes through untouched: it is Connect's own verdict
// (a deadline, a cancellation, a shutdown) and already carries the right
// code. Anything else that is not a BerthError is INTERNAL with its message
// kept, since Connect would otherwise hide it behind "internal error" or
// report UNKNOWN.
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return boundStatus(err);
  const berth = BerthError.from(err);
  return new ConnectError(boundStatusMessage(berth.message), CODE_OF[berth.code], undefined, undefined, err);
}

// STATUS_MESSAGE_MAX_BYTES bounds a status message, in UTF-8 bytes. gRPC
// sends the message in the grpc-message trailer, percent-encoded (up to 3
// bytes on the wire per byte), and a default client refuses more than 8 KiB
// of metadata with RESOURCE_EXHAUSTED, which would replace the real error.
// Values are cut where they are echoed (src/errors/quote.ts); this is the
// last resort for every message that leaves, whoever wrote it.
export const STATUS_MESSAGE_MAX_BYTES = 1024;

// ERROR_METADATA_MAX_BYTES bounds the metadata an error carries (keys and
// values), for the same reason; entries past it are left out.
export const ERROR_METADATA_MAX_BYTES = 2048;

// boundStatusMessage returns message unchanged when it fits, and otherwise
// its head, cut on a UTF-8 character boundary, with a marker giving the
// full size, the whole within STATUS_MESSAGE_MAX_BYTES.
export function boundStatusMessage(message: string): string {
  const bytes = Buffer.from(message, "utf8");
  if (bytes.length <= STATUS_MESSAGE_MAX_BYTES) return message;
  const marker = `… (message cut: ${bytes.length} bytes)`;
  let end = STATUS_MESSAGE_MAX_BYTES - Buffer.byteLength(marker, "utf8");
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + marker;
}

// boundStatus returns err itself when its message and metadata fit, and
// otherwise the same status with both bounded.
export function boundStatus(err: ConnectError): ConnectError {
  const message = boundStatusMessage(err.rawMessage);
  let size = 0;
  let over = false;
  const metadata = new Headers();
  err.metadata.forEach((value, key) => {
    size += key.length + value.length;
    if (size > ERROR_METADATA_MAX_BYTES) over = true;
    else metadata.append(key, value);
  });
  if (message === err.rawMessage && !over) return err;
  const bounded = new ConnectError(message, err.code, metadata, undefined, err.cause ?? err);
  bounded.details.push(...err.details);
  return bounded;
}

// fromConnectError turns a failed call into the BerthError an in-process
// caller would have seen. Statuses berth never sends (UNKNOWN,
// ...) become "internal" with the status name
// in the message, so nothing about the failure is lost.
export function fromConnectError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const connect = ConnectError.from(err);
  const code = ERROR_CODE_OF.get(connect.code);
  if (code !== undefined) return new BerthError(code, connect.rawMessage, { cause: err });
  return new BerthError("internal", `${Code[connect.code] ?? connect.code}: ${connect.rawMessage}`, { cause: err });
}

// GRPC_CODE_NAMES are gRPC's names of its status codes, by number.
const GRPC_CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

// grpcCodeName names a status code (0 is OK) as gRPC does.
export function grpcCodeName(code: number): string {
  return GRPC_CODE_NAMES[code] ?? String(code);
}
