// CallContext is the HandlerContext of one grpc-js call, and CallRegistry
// the calls in flight of one server: what grpc-js-adapter.ts hands to the
// connect handlers it serves.
import * as grpc from "@grpc/grpc-js";
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, encodeBinaryHeader, type HandlerContext } from "@connectrpc/connect";
import type { RpcTimer } from "../metrics/daemon-metrics.js";
import { identityOfTls, PEER_IDENTITY } from "./caller-identity.js";
import { grpcCodeName } from "../wire/status.js";

export type Message = MessageShape<DescMessage>;

type AnyCall =
  | grpc.ServerUnaryCall<Message, Message>
  | grpc.ServerReadableStream<Message, Message>
  | grpc.ServerWritableStream<Message, Message>
  | grpc.ServerDuplexStream<Message, Message>;

// CallContext is the HandlerContext of one grpc-js call. Its signal aborts
// when the client cancels, the deadline passes, the server shuts down, or
// the call completes. Response headers and trailers set by a handler are
// not sent: berth's handlers set none.
export class CallContext implements HandlerContext {
  readonly service;
  readonly requestMethod = "POST";
  readonly protocolName = "grpc";
  readonly responseHeader = new Headers();
  readonly responseTrailer = new Headers();
  readonly values = createContextValues();
  readonly #controller = new AbortController();
  readonly #call: AnyCall;
  #requestHeader: Headers | undefined;
  // startedAt is when the call arrived, for its latency (0 when untimed).
  startedAt = 0;

  constructor(
    readonly method: DescMethod,
    call: AnyCall,
  ) {
    this.service = method.parent;
    this.#call = call;
    this.values.set(PEER_IDENTITY, () => {
      const auth = call.getAuthContext();
      return identityOfTls(auth.transportSecurityType, auth.sslPeerCertificate);
    });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get url(): string {
    return this.#call.getPath();
  }

  get requestHeader(): Headers {
    return (this.#requestHeader ??= headersOf(this.#call.metadata));
  }

  timeoutMs = (): number | undefined => {
    const deadline = Number(this.#call.getDeadline());
    return Number.isFinite(deadline) ? deadline - Date.now() : undefined;
  };

  abort(reason?: unknown): void {
    this.#controller.abort(reason);
  }
}

// headersOf turns grpc-js metadata into the Headers connect handlers read;
// binary values are base64, as on the wire.
function headersOf(metadata: grpc.Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) headers.append(key, typeof value === "string" ? value : encodeBinaryHeader(value));
  }
  return headers;
}

// A client cancels at its own deadline, which passes before the server's by
// the time the request took to arrive; a cancel that close to the deadline
// is the deadline.
const DEADLINE_SLACK_MS = 100;

// CALL_ENDED is the abort reason of every call that ended: abort() with no
// reason makes a DOMException, with its stack, per call (4 % of the
// daemon's CPU on a stream of empty calls).
const CALL_ENDED = new DOMException("the call has ended", "AbortError");

// CallRegistry tracks the calls in flight, so one shutdown listener can
// abort them all.
export class CallRegistry {
  readonly #open = new Set<CallContext>();

  constructor(
    private readonly shutdown: AbortSignal,
    // timer, when given, hears each call's method, status and latency.
    private readonly timer?: RpcTimer,
  ) {
    shutdown.addEventListener("abort", () => {
      for (const ctx of this.#open) ctx.abort(shutdown.reason);
    });
  }

  open(method: DescMethod, call: AnyCall): CallContext {
    const ctx = new CallContext(method, call);
    if (this.timer !== undefined) ctx.startedAt = performance.now();
    if (this.shutdown.aborted) {
      ctx.abort(this.shutdown.reason);
      return ctx;
    }
    this.#open.add(ctx);
    // grpc-js reports "cancelled" for calls that ended too, once their
    // stream closes: only a call still open was cancelled.
    (call as NodeJS.EventEmitter).once("cancelled", () => {
      if (!this.#open.has(ctx)) return;
      const deadline = Number(call.getDeadline());
      const reason =
        Number.isFinite(deadline) && deadline - Date.now() <= DEADLINE_SLACK_MS
          ? new ConnectError("the operation timed out", Code.DeadlineExceeded)
          : new ConnectError("the client cancelled the call", Code.Canceled);
      this.#open.delete(ctx);
      this.#time(ctx, reason.code);
      ctx.abort(reason);
    });
    return ctx;
  }

  // close ends a call's context, aborting its signal (with the handler's
  // error, if it failed) so that work tied to it stops.
  close(ctx: CallContext, err?: unknown): void {
    if (this.#open.delete(ctx)) this.#time(ctx, err === undefined ? 0 : err instanceof ConnectError ? err.code : Code.Internal);
    ctx.abort(err ?? CALL_ENDED);
  }

  #time(ctx: CallContext, code: number): void {
    this.timer?.observe(ctx.service.typeName, ctx.method.name, grpcCodeName(code), (performance.now() - ctx.startedAt) / 1000);
  }
}
