// The one error type of berth. Domain code throws BerthError with one of a
// closed set of codes; the RPC layer converts it to a gRPC status exactly
// once (src/wire/status.ts), and the gRPC client converts it back, so an
// in-process caller and a remote caller see the same code and message.

export type ErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "resource_exhausted"
  | "unavailable"
  | "deadline_exceeded"
  | "canceled"
  | "unimplemented"
  | "unauthenticated"
  | "permission_denied"
  | "data_loss"
  | "internal";

export class BerthError extends Error {
  override name = "BerthError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  // from turns anything caught into a BerthError; an unknown failure becomes
  // "internal" with its message kept, never swallowed.
  static from(reason: unknown): BerthError {
    if (reason instanceof BerthError) return reason;
    if (reason instanceof Error) return new BerthError("internal", reason.message, { cause: reason });
    return new BerthError("internal", String(reason));
  }
}

export const invalidArgument = (message: string) => new BerthError("invalid_argument", message);
export const notFound = (message: string) => new BerthError("not_found", message);
export const alreadyExists = (message: string) => new BerthError("already_exists", message);
export const failedPrecondition = (message: string) => new BerthError("failed_precondition", message);
export const aborted = (message: string) => new BerthError("aborted", message);
export const unavailable = (message: string, cause?: unknown) => new BerthError("unavailable", message, { cause });
export const internal = (message: string, cause?: unknown) => new BerthError("internal", message, { cause });
export const unauthenticated = (message: string) => new BerthError("unauthenticated", message);
export const permissionDenied = (message: string) => new BerthError("permission_denied", message);
export const dataLoss = (message: string) => new BerthError("data_loss", message);
export const resourceExhausted = (message: string) => new BerthError("resource_exhausted", message);

export function isBerthError(err: unknown, code?: ErrorCode): err is BerthError {
  return err instanceof BerthError && (code === undefined || err.code === code);
}
