// createHttpHandler answers Connect and gRPC-Web (and, on TCP+TLS, gRPC)
// through connect-node, as connectNodeAdapter does, with what a client
// needs when its request is wrong:
//   - 404, 405 and 415 carry Connect's error JSON saying what the daemon
//     accepts, where connect-node sends an empty body;
//   - a binary request body that is not a message of the method's input
//     type is INVALID_ARGUMENT (connect-es reports it as INTERNAL, since
//     the same parser reads a server's responses on the client side);
//   - no request is read past readMaxBytes (RESOURCE_EXHAUSTED naming the
//     limit, from connect itself).
// The refusal of a bad body is sent by connect: the request goes to a twin
// of its method whose implementation throws the refusal, so it comes back
// in the request's own protocol (a unary JSON error, gRPC-Web trailers, a
// Connect end-stream message).
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { fromBinary, type DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, createContextKey, createContextValues, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { quote } from "../errors/quote.js";
import { checkRequestElements } from "../spec/request-elements.js";
import { boundStatusMessage } from "./status.js";

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
}

// The refusal a twin method throws.
const REFUSAL = createContextKey<ConnectError | undefined>(undefined, { description: "berth request refusal" });

export function createHttpHandler(options: HttpHandlerOptions): NodeHandler {
  const { routes, shutdown, readMaxBytes } = options;
  const routerOptions = { shutdownSignal: shutdown, readMaxBytes, acceptCompression: [compressionGzip, compressionBrotli] };
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
    const uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
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

async function respond(
  handler: UniversalHandler,
  refuser: UniversalHandler,
  uReq: UniversalServerRequest,
  readMaxBytes: number,
): Promise<UniversalServerResponse> {
  // A streaming request (Attach, over TCP+TLS) is not read ahead: its body
  // lasts as long as the call.
  const single = handler.method.methodKind === "unary" || handler.method.methodKind === "server_streaming";
  const framing = single ? binaryFraming(uReq) : undefined;
  if (framing === undefined) return handler(uReq);
  const read = await readBounded(uReq.body as AsyncIterable<Uint8Array>, readMaxBytes + ENVELOPE_HEADER_BYTES);
  const body = replay(read.bytes, read.rest);
  const refusal = read.rest === undefined ? checkMessages(handler.method, framing, read.bytes) : undefined;
  if (refusal === undefined) return handler({ ...uReq, body });
  // A valid empty message in the request's framing, so that the twin is
  // reached and answers in the request's protocol.
  const header = new Headers(uReq.header);
  header.delete("content-length");
  const empty = framing === "raw" ? new Uint8Array(0) : new Uint8Array(ENVELOPE_HEADER_BYTES);
  return refuser({ ...uReq, header, body: replay(empty), contextValues: createContextValues().set(REFUSAL, refusal) });
}

type Framing = "raw" | "enveloped";

const ENVELOPE_HEADER_BYTES = 5;

// binaryFraming tells how an uncompressed binary request body is framed,
// or undefined when berth leaves the body to connect alone (JSON, which
// connect already reports as INVALID_ARGUMENT; compressed bodies; GET).
function binaryFraming(uReq: UniversalServerRequest): Framing | undefined {
  if (uReq.method !== "POST") return undefined;
  const type = (uReq.header.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/proto") {
    const encoding = uReq.header.get("content-encoding");
    return encoding === null || encoding === "identity" ? "raw" : undefined;
  }
  const enveloped = ["application/connect+proto", "application/grpc-web", "application/grpc-web+proto", "application/grpc", "application/grpc+proto"];
  return enveloped.includes(type) ? "enveloped" : undefined;
}

// checkMessages returns the refusal for a body whose messages do not
// decode as the method's input, or undefined. A body it cannot judge (a
// compressed envelope, an envelope cut short) is left to connect.
function checkMessages(method: DescMethod, framing: Framing, body: Uint8Array): ConnectError | undefined {
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
  for (const message of messages) {
    try {
      checkRequestElements(method.input, message);
      fromBinary(method.input, message);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return new ConnectError(`the request is not a valid ${method.input.typeName} message: ${why}`, Code.InvalidArgument);
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

// explain fills in the empty 405 and 415 answers of connect's router with
// what the method accepts.
function explain(uRes: UniversalServerResponse, handler: UniversalHandler, uReq: UniversalServerRequest): UniversalServerResponse {
  if (uRes.body !== undefined) return uRes;
  const name = `${handler.service.typeName}/${handler.method.name}`;
  if (uRes.status === 405) {
    const response = errorResponse(405, Code.Unimplemented, `http method ${quote(uReq.method)} is not allowed: ${name} takes ${handler.allowedMethods.join(" or ")}`);
    response.header.set("allow", handler.allowedMethods.join(", "));
    return response;
  }
  if (uRes.status === 415) {
    const streaming = handler.method.methodKind !== "unary";
    const connect = streaming ? "application/connect+json or application/connect+proto" : "application/json or application/proto";
    const sent = uReq.header.get("content-type");
    return errorResponse(
      415,
      Code.Unimplemented,
      `content type ${sent === null ? "(none)" : quote(sent)} is not accepted: ${name} takes ${connect} (Connect) or application/grpc-web+proto (gRPC-Web) over HTTP/1.1, and application/grpc over HTTP/2`,
    );
  }
  return uRes;
}

// errorResponse is a response in Connect's unary error shape.
function errorResponse(status: number, code: Code, message: string): UniversalServerResponse & { header: Headers } {
  return {
    status,
    header: new Headers({ "content-type": "application/json" }),
    body: replay(errorToJsonBytes(new ConnectError(boundStatusMessage(message), code), {})),
  };
}
