// createGrpcJsServer serves connect ServiceImpls over @grpc/grpc-js: the
// same handler functions connect-node calls, each given a HandlerContext
// built from the grpc-js call. grpc-js answers plain gRPC at about half of
// connect-node's cost per call (bench/lib/rpc-floor.js), so routed-listener.ts
// sends HTTP/2 connections here and HTTP/1.1 ones to connect-node.
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createMethodImplSpec, createServiceImplSpec, type ConnectRouter, type MethodImplSpec } from "@connectrpc/connect";
import { BerthError } from "../errors/berth-error.js";
import { checkRequestElements } from "../spec/request-elements.js";
import { CallRegistry, type CallContext, type Message } from "./grpc-js-call-context.js";
import { boundStatus } from "../wire/status.js";
import type { RpcTimer } from "../metrics/daemon-metrics.js";

// methodSpecsOf collects every method a routes function registers, in the
// form connect itself uses (kind, descriptor, bound implementation; methods
// left out of a service answer UNIMPLEMENTED). Per-route handler options are
// connect-node's and do not apply to grpc-js.
export function methodSpecsOf(routes: (router: ConnectRouter) => void): MethodImplSpec[] {
  const specs: MethodImplSpec[] = [];
  const router = {
    handlers: [],
    service(service, impl) {
      specs.push(...Object.values(createServiceImplSpec(service, impl).methods));
      return router;
    },
    rpc(method, impl) {
      specs.push(createMethodImplSpec(method, impl));
      return router;
    },
  } as ConnectRouter;
  routes(router);
  return specs;
}

// createGrpcJsServer returns a grpc-js Server that answers every method of
// specs. Aborting shutdown aborts the signal of every call in flight with the
// shutdown's reason, as connect-node's shutdownSignal does.
export function createGrpcJsServer(specs: MethodImplSpec[], shutdown: AbortSignal, options: grpc.ServerOptions = {}, timer?: RpcTimer): grpc.Server {
  const calls = new CallRegistry(shutdown, timer);
  const server = new grpc.Server(options);
  for (const spec of specs) {
    const { path, definition, handler } = grpcJsMethod(spec, calls);
    server.register(path, handler, definition.responseSerialize, definition.requestDeserialize, definition.type);
  }
  return server;
}

type HandlerKind = "unary" | "serverStream" | "clientStream" | "bidi";

interface GrpcJsMethod {
  path: string;
  definition: {
    type: HandlerKind;
    requestDeserialize: (bytes: Buffer) => Message;
    responseSerialize: (message: Message) => Buffer;
  };
  handler: grpc.UntypedHandleCall;
}

const KIND_OF: Record<MethodImplSpec["kind"], HandlerKind> = {
  unary: "unary",
  server_streaming: "serverStream",
  client_streaming: "clientStream",
  bidi_streaming: "bidi",
};

function grpcJsMethod(spec: MethodImplSpec, calls: CallRegistry): GrpcJsMethod {
  const { method } = spec;
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    definition: {
      type: KIND_OF[spec.kind],
      // A plain view, not the Buffer: bytes fields are read as subarrays of it,
      // and handlers expect Uint8Array, as connect-node gives them. Bytes
      // that are not a request message are the client's mistake, but
      // grpc-js answers a throw here with INTERNAL; so the failure travels
      // to the handler as a value, and the handler answers INVALID_ARGUMENT.
      requestDeserialize: (bytes) => {
        try {
          const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          checkRequestElements(method.input, view);
          return fromBinary(method.input, view);
        } catch (err) {
          return unparsable(method.input.typeName, err) as unknown as Message;
        }
      },
      responseSerialize: (message) => {
        const bytes = toBinary(method.output, isMessage(message, method.output) ? message : create(method.output, message));
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
    },
    handler: handlerOf(spec, calls),
  };
}

function handlerOf(spec: MethodImplSpec, calls: CallRegistry): grpc.UntypedHandleCall {
  switch (spec.kind) {
    case "unary":
      return (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
        const ctx = calls.open(spec.method, call);
        settle(async () => spec.impl(parsed(call.request), ctx), ctx, calls, callback);
      };
    case "client_streaming":
      return (call: grpc.ServerReadableStream<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
        const ctx = calls.open(spec.method, call);
        settle(async () => spec.impl(requestsOf(call), ctx), ctx, calls, callback);
      };
    case "server_streaming":
      return (call: grpc.ServerWritableStream<Message, Message>) => {
        const ctx = calls.open(spec.method, call);
        void pump(() => spec.impl(parsed(call.request), ctx), call, ctx, calls);
      };
    case "bidi_streaming":
      return (call: grpc.ServerDuplexStream<Message, Message>) => {
        const ctx = calls.open(spec.method, call);
        void pump(() => spec.impl(requestsOf(call), ctx), call, ctx, calls);
      };
  }
}

// requestsOf reads a call's requests without destroying the call when the
// handler stops reading early: its responses may still be under way.
function requestsOf(call: grpc.ServerReadableStream<Message, Message> | grpc.ServerDuplexStream<Message, Message>): AsyncIterable<Message> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const request of call.iterator({ destroyOnReturn: false })) yield parsed(request as Message);
    },
  };
}

// Unparsable stands for request bytes that did not decode (see
// requestDeserialize); parsed turns it into the client's error.
class Unparsable {
  constructor(readonly error: ConnectError) {}
}

function unparsable(typeName: string, err: unknown): Unparsable {
  // A bound the pre-scan (checkRequestElements) enforces says what to fix
  // itself: the bytes may well be a valid message, just too large a one.
  if (err instanceof BerthError) return new Unparsable(new ConnectError(err.message, Code.InvalidArgument));
  const why = err instanceof Error ? err.message : String(err);
  return new Unparsable(new ConnectError(`the request is not a valid ${typeName} message: ${why}`, Code.InvalidArgument));
}

function parsed(request: Message): Message {
  if ((request as unknown) instanceof Unparsable) throw (request as unknown as Unparsable).error;
  return request;
}

function settle(run: () => Promise<unknown>, ctx: CallContext, calls: CallRegistry, callback: grpc.sendUnaryData<Message>): void {
  run().then(
    (response) => {
      calls.close(ctx);
      callback(null, response as Message);
    },
    (err: unknown) => {
      calls.close(ctx, err);
      callback(statusOf(err));
    },
  );
}

// pump writes a handler's responses to its call, waiting for the call to
// drain when grpc-js buffers, and ends the call with the handler's status.
async function pump(
  run: () => AsyncIterable<unknown>,
  call: grpc.ServerWritableStream<Message, Message> | grpc.ServerDuplexStream<Message, Message>,
  ctx: CallContext,
  calls: CallRegistry,
): Promise<void> {
  // A cancelled call is already closed: grpc-js sent its status, and
  // writing, ending or failing it again would be an error of its own.
  try {
    for await (const response of run()) {
      if (call.cancelled) break;
      if (!call.write(response as Message)) await drained(call, ctx.signal);
    }
  } catch (err) {
    calls.close(ctx, err);
    if (!call.cancelled) call.emit("error", statusOf(err));
    return;
  }
  calls.close(ctx);
  if (!call.cancelled) call.end();
}

function drained(call: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.on("drain", done);
    signal.addEventListener("abort", done);
  });
}

// statusOf is the status a failed handler sends. A ConnectError keeps its
// code, message and metadata (what grpc-js can carry: it throws on other
// keys and text values, and a throw here would lose the status); anything
// else is hidden behind "internal error", as connect-node does (berth's
// handlers convert through with-status.ts before this point).
function statusOf(err: unknown): Partial<grpc.StatusObject> {
  const e = boundStatus(err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err));
  const metadata = new grpc.Metadata();
  e.metadata.forEach((value, key) => {
    if (!LEGAL_KEY.test(key)) return;
    if (key.endsWith("-bin")) metadata.add(key, Buffer.from(value, "base64"));
    else if (LEGAL_TEXT.test(value)) metadata.add(key, value);
  });
  return { code: e.code as number as grpc.status, details: e.rawMessage, metadata };
}

// What grpc-js's Metadata accepts (metadata.js).
const LEGAL_KEY = /^[0-9a-z_.-]+$/;
const LEGAL_TEXT = /^[ -~]*$/;
