// The one place where berth's error codes meet gRPC status codes. The server
// converts with toConnectError as an error leaves a handler; the gRPC client
// converts back with fromConnectError, so a remote caller sees the same code
// and message as an in-process one.
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
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
  if (err instanceof ConnectError) return err;
  const berth = BerthError.from(err);
  return new ConnectError(berth.message, CODE_OF[berth.code], undefined, undefined, err);
}

// fromConnectError turns a failed call into the BerthError an in-process
// caller would have seen. Statuses berth never sends (UNKNOWN,
// PERMISSION_DENIED from a proxy, ...) become "internal" with the status name
// in the message, so nothing about the failure is lost.
export function fromConnectError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const connect = ConnectError.from(err);
  const code = ERROR_CODE_OF.get(connect.code);
  if (code !== undefined) return new BerthError(code, connect.rawMessage, { cause: err });
  return new BerthError("internal", `${Code[connect.code] ?? connect.code}: ${connect.rawMessage}`, { cause: err });
}

// withStatus wraps a unary handler so every error leaves as a status.
export function withStatus<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (err) {
      throw toConnectError(err);
    }
  };
}

// streamWithStatus wraps a server-streaming handler the same way. A stream
// cut short by its call's signal (deadline, server shutdown) ends with that
// reason rather than a plain OK, so a subscriber can tell "the daemon went
// away" from "the stream reached its end".
export function streamWithStatus<I, O>(
  handler: (request: I, ctx: HandlerContext) => AsyncIterable<O>,
): (request: I, ctx: HandlerContext) => AsyncIterable<O> {
  return async function* (request, ctx) {
    try {
      yield* handler(request, ctx);
    } catch (err) {
      throw toConnectError(err);
    }
    if (ctx.signal.aborted) throw toConnectError(ctx.signal.reason);
  };
}
