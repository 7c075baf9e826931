// The answers of createHttpHandler (http-handler.ts) to a request it will
// not serve, each in Connect's error JSON saying what the daemon accepts:
// connect-node sends 405, 415 and 505 with empty bodies.
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { quote } from "../errors/quote.js";
import { boundStatusMessage } from "../wire/status.js";

// explain fills in the empty 405 and 415 answers of connect's router with
// what the method accepts.
export function explain(uRes: UniversalServerResponse, handler: UniversalHandler, uReq: UniversalServerRequest): UniversalServerResponse {
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

// refuseHttp1Bidi answers a bidirectional method (Attach) called over
// HTTP/1.1, which cannot carry it. connect answers 505 with an empty body
// before it looks at anything else; here a wrong HTTP method or content
// type is named first, as for every other method, and the 505 says what to
// use instead. The connection is closed, since a client that expects full
// duplex may otherwise wait on it.
export function refuseHttp1Bidi(handler: UniversalHandler, uReq: UniversalServerRequest): UniversalServerResponse {
  if (!handler.allowedMethods.includes(uReq.method)) return explain({ status: 405, header: new Headers() }, handler, uReq);
  if (!handler.supportedContentType(uReq.header.get("content-type") ?? "")) return explain({ status: 415, header: new Headers() }, handler, uReq);
  const name = `${handler.service.typeName}/${handler.method.name}`;
  const response = errorResponse(
    505,
    Code.Unimplemented,
    `${name} is bidirectional and needs HTTP/2, which HTTP/1.1 (Connect, gRPC-Web) cannot give: call it with a gRPC client (application/grpc over HTTP/2)`,
  );
  response.header.set("connection", "close");
  return response;
}

// errorResponse is a response in Connect's unary error shape.
export function errorResponse(status: number, code: Code, message: string): UniversalServerResponse & { header: Headers } {
  return {
    status,
    header: new Headers({ "content-type": "application/json" }),
    body: once(errorToJsonBytes(new ConnectError(boundStatusMessage(message), code), {})),
  };
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
