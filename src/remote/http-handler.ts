// createHttpHandler answers Connect and gRPC-Web (and, on TCP+TLS, gRPC)
// through connect-node, as connectNodeAdapter does, with what a client
// needs when its request is wrong:
//   - 404, 405 and 415 carry Connect's error JSON saying what the daemon
//     accepts, where connect-node sends an empty body;
//   - a binary request body that is not a message of the method's input
//     type is INVALID_ARGUMENT (connect-es reports it as INTERNAL, since
//     the same parser reads a server's responses on the client side);
//   - a JSON request body holding more elements than a binary one may
//     (REQUEST_MAX_ELEMENTS) is INVALID_ARGUMENT before protobuf-es's
//     fromJson, which would spend most of a second on a 3 MB body;
//   - Attach over HTTP/1.1 (it needs HTTP/2) answers 405 and 415 as other
//     methods do, then a 505 whose JSON says to use gRPC;
//   - no request is read past readMaxBytes (RESOURCE_EXHAUSTED naming the
//     limit, from connect itself).
// The refusal of a bad body is sent by connect: the request goes to a twin
// of its method whose implementation throws the refusal, so it comes back
// in the request's own protocol (a unary JSON error, gRPC-Web trailers, a
// Connect end-stream message).
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { fromBinary, type DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, createContextKey, createContextValues, type ConnectRouter, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { RpcTimer } from "../metrics/daemon-metrics.js";
import { grpcCodeName } from "../wire/status.js";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { identityOfSocket, PEER_IDENTITY } from "./caller-identity.js";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { BerthError } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkJsonElements, checkRequestElements } from "../spec/request-elements.js";
import { errorResponse, explain, refuseHttp1Bidi } from "./http-refusals.js";

export type NodeHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

export interface HttpHandlerOptions {
  routes: (router: ConnectRouter) => void;
  // shutdown aborts every call's signal when the server stops.
  shutdown: AbortSignal;
  // readMaxBytes bounds one request message.
  readMaxBytes: number;
  // timer, when given, hears each call's method, status and latency (for a
  // streaming call, until its response starts).
  timer?: RpcTimer;
}

// The refusal a twin method throws.
const REFUSAL = createContextKey<ConnectError | undefined>(undefined, { description: "berth request refusal" });

export function createHttpHandler(options: HttpHandlerOptions): NodeHandler {
  const { routes, shutdown, readMaxBytes, timer } = options;
  const interceptors = timer === undefined ? [] : [timing(timer)];
  const routerOptions = { shutdownSignal: shutdown, readMaxBytes, acceptCompression: [compressionGzip, compressionBrotli], interceptors };
  const router = createConnectRouter(routerOptions);
  routes(router);
  const refuser = createConnectRouter(routerOptions);
  for (const handler of router.handlers) refuser.rpc(handler.method, refusingImpl(handler.method) as never);
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, h]));
  const refusers = new Map(refuser.handlers.map((h) => [h.requestPath, h]));
  const served = [...handlers.keys()];

  return (req, res) => {
    const path = (req.url ?? "").split("?", 2)[0]!;
    const handler = handlers.get(path);
    if (handler === undefined) {
      const message = `no method ${quote(path)}: berth serves POST /<service>/<method>, e.g. ${served.slice(0, 2).join(", ")} (${served.length} methods)`;
      void universalResponseToNodeResponse(errorResponse(404, Code.Unimplemented, message), res).catch(() => {});
      return;
    }
    const socket = req.socket;
    const uReq = universalRequestFromNodeRequest(req, res, undefined, createContextValues().set(PEER_IDENTITY, () => identityOfSocket(socket)));
    if (handler.method.methodKind === "bidi_streaming" && uReq.httpVersion.startsWith("1.")) {
      void universalResponseToNodeResponse(refuseHttp1Bidi(handler, uReq), res).catch(() => res.destroy());
      return;
    }
    void respond(handler, refusers.get(path)!, uReq, readMaxBytes)
      .then((uRes) => universalResponseToNodeResponse(explain(uRes, handler, uReq), res))
      .catch((err: unknown) => {
        // Reading the request or writing the answer failed: the client went
        // away, and nothing is owed to it. Anything else is a berth bug the
        // client hears of as INTERNAL.
        if (res.headersSent || uReq.signal.aborted) return void res.destroy();
        const why = err instanceof Error ? err.message : String(err);
        void universalResponseToNodeResponse(errorResponse(500, Code.Internal, `cannot serve ${path}: ${why}`), res).catch(() => res.destroy());
      });
  };
}

function timing(timer: RpcTimer): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const done = (code: number) => timer.observe(req.service.typeName, req.method.name, grpcCodeName(code), (performance.now() - started) / 1000);
    try {
      const res = await next(req);
      done(0);
      return res;
    } catch (err) {
      done(err instanceof ConnectError ? err.code : Code.Internal);
      throw err;
    }
  };
}

async function respond(
  handler: UniversalHandler,
  refuser: UniversalHandler,
  uReq: UniversalServerRequest,
  readMaxBytes: number,
): Promise<UniversalServerResponse> {
  // A streaming request (Attach, over TCP+TLS) is not read ahead: its body
  // lasts as long as the call.
  const single = handler.method.methodKind === "unary" || handler.method.methodKind === "server_streaming";
  const body = single ? bodyFormat(uReq) : undefined;
  if (body === undefined) return handler(uReq);
  const { framing, format } = body;
  const read = await readBounded(uReq.body as AsyncIterable<Uint8Array>, readMaxBytes + ENVELOPE_HEADER_BYTES);
  const refusal = read.rest === undefined ? checkMessages(handler.method, framing, format, read.bytes) : undefined;
  if (refusal === undefined) return handler({ ...uReq, body: replay(read.bytes, read.rest) });
  // A valid empty message in the request's framing, so that the twin is
  // reached and answers in the request's protocol.
  const header = new Headers(uReq.header);
  header.delete("content-length");
  const message = format === "json" ? new TextEncoder().encode("{}") : new Uint8Array(0);
  const empty = framing === "raw" ? message : envelope(message);
  return refuser({ ...uReq, header, body: replay(empty), contextValues: createContextValues().set(REFUSAL, refusal) });
}

type Framing = "raw" | "enveloped";

function envelope(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + message.byteLength);
  new DataView(out.buffer).setUint32(1, message.byteLength);
  out.set(message, ENVELOPE_HEADER_BYTES);
  return out;
}

const ENVELOPE_HEADER_BYTES = 5;

type Format = "binary" | "json";

// bodyFormat tells how an uncompressed request body is framed and encoded,
// or undefined when berth leaves the body to connect alone (compressed
// bodies, whose size is bounded by connect's readMaxBytes after
// decompression; GET).
function bodyFormat(uReq: UniversalServerRequest): { framing: Framing; format: Format } | undefined {
  if (uReq.method !== "POST") return undefined;
  const type = (uReq.header.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/proto" || type === "application/json") {
    const encoding = uReq.header.get("content-encoding");
    const plain = encoding === null || encoding === "identity";
    return plain ? { framing: "raw", format: type === "application/json" ? "json" : "binary" } : undefined;
  }
  const enveloped = ["application/connect+proto", "application/grpc-web", "application/grpc-web+proto", "application/grpc", "application/grpc+proto"];
  if (enveloped.includes(type)) return { framing: "enveloped", format: "binary" };
  return type === "application/connect+json" ? { framing: "enveloped", format: "json" } : undefined;
}

// checkMessages returns the refusal for a body whose messages do not
// decode as the method's input, or undefined. A body it cannot judge (a
// compressed envelope, an envelope cut short, malformed JSON) is left to
// connect.
function checkMessages(method: DescMethod, framing: Framing, format: Format, body: Uint8Array): ConnectError | undefined {
  const messages: Uint8Array[] = [];
  if (framing === "raw") messages.push(body);
  else {
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    for (let at = 0; at < body.byteLength; ) {
      if (at + ENVELOPE_HEADER_BYTES > body.byteLength) return undefined;
      const flags = view.getUint8(at);
      const length = view.getUint32(at + 1);
      const end = at + ENVELOPE_HEADER_BYTES + length;
      if (end > body.byteLength) return undefined;
      if (flags === 0) messages.push(body.subarray(at + ENVELOPE_HEADER_BYTES, end));
      at = end;
    }
  }
  if (format === "json") return checkJsonMessages(method, messages);
  for (const message of messages) {
    try {
      checkRequestElements(method.input, message);
      fromBinary(method.input, message);
    } catch (err) {
      // A bound the pre-scan enforces says what to fix itself (the bytes
      // may well be a valid message, just too large a one).
      if (err instanceof BerthError) return new ConnectError(err.message, Code.InvalidArgument);
      const why = err instanceof Error ? err.message : String(err);
      return new ConnectError(`the request is not a valid ${method.input.typeName} message: ${why}`, Code.InvalidArgument);
    }
  }
  return undefined;
}

// checkJsonMessages bounds the elements of JSON messages before connect
// parses and decodes them (checkJsonElements says why).
function checkJsonMessages(method: DescMethod, messages: Uint8Array[]): ConnectError | undefined {
  for (const message of messages) {
    try {
      checkJsonElements(method.input, message);
    } catch (err) {
      return new ConnectError(err instanceof Error ? err.message : String(err), Code.InvalidArgument);
    }
  }
  return undefined;
}

// readBounded reads a body up to limit bytes. Past the limit it stops and
// hands back the iterator, so that connect reads on and refuses the
// request with its own RESOURCE_EXHAUSTED naming readMaxBytes.
async function readBounded(
  body: AsyncIterable<Uint8Array>,
  limit: number,
): Promise<{ bytes: Uint8Array; rest?: AsyncIterator<Uint8Array> }> {
  const it = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let next = await it.next(); next.done !== true; next = await it.next()) {
    chunks.push(next.value);
    size += next.value.byteLength;
    if (size > limit) return { bytes: Buffer.concat(chunks), rest: it };
  }
  return { bytes: Buffer.concat(chunks) };
}

async function* replay(head: Uint8Array, rest?: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield head;
  if (rest === undefined) return;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

// refusingImpl is the implementation of a twin method: it throws the
// refusal its request carries, in the shape its method kind calls for.
function refusingImpl(method: DescMethod) {
  const refusal = (ctx: HandlerContext) => ctx.values.get(REFUSAL) ?? new ConnectError("request refused", Code.InvalidArgument);
  switch (method.methodKind) {
    case "unary":
    case "client_streaming":
      return async (_req: unknown, ctx: HandlerContext) => {
        throw refusal(ctx);
      };
    case "server_streaming":
    case "bidi_streaming":
      return async function* (_req: unknown, ctx: HandlerContext): AsyncGenerator<never> {
        throw refusal(ctx);
      };
  }
}
