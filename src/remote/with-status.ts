// Handlers' side of the status mapping (src/wire/status.ts): every error
// leaves a handler as a status, and no answer leaves past its deadline.
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

import { toConnectError } from "../wire/status.js";

// withStatus wraps a unary handler so every error leaves as a status, and
// none leaves past the call's deadline: connect-node sends whatever the
// handler returns, however late, and a client that does not enforce its
// own deadline (curl with connect-timeout-ms) would take a late success for
// an answer. At the deadline the call ends with DEADLINE_EXCEEDED; work
// that cannot be interrupted (a Create under way) runs on to its end, as
// it would had the client cancelled. (grpc-js ends a call at its deadline
// by itself.)
export function withStatus<A extends [unknown, HandlerContext, ...unknown[]], R>(
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await untilDeadline(handler(...args), args[1].signal);
    } catch (err) {
      throw toConnectError(err);
    }
  };
}

function untilDeadline<R>(work: Promise<R>, signal: AbortSignal): Promise<R> {
  const isDeadline = () => signal.reason instanceof ConnectError && signal.reason.code === Code.DeadlineExceeded;
  if (signal.aborted && isDeadline()) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<R>((resolve, reject) => {
    const onAbort = () => {
      if (!isDeadline()) return;
      work.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
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
