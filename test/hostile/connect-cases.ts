// The hostile cases of the Connect leg (HTTP/1.1 on the unix socket):
// unknown paths, wrong methods, wrong content types, random and unparsable
// bodies in JSON and in protobuf, huge bodies, hostile headers. Per the
// Connect protocol, each must be answered with a 4xx and a JSON error body
// ({"code": ..., "message": ...}), never a 5xx.
import fc from "fast-check";

import { hostileString, validId } from "./hostile-values.js";
import type { RpcInfo } from "./rpc-inventory.js";

export interface HttpCase {
  input: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  // status: the HTTP statuses a proper answer may have; code: the Connect
  // code its error body must carry, when the protocol names one.
  status?: number[];
  code?: string;
  why?: string;
  // bidi: the procedure is bidi-streaming, which Connect serves only over
  // HTTP/2 (505 is then the protocol's own answer on HTTP/1.1).
  bidi?: boolean;
  // namespaceShown: the non-ASCII namespace sent, which a message that
  // echoes it must show as sent, not as latin1 mojibake.
  namespaceShown?: string;
  // unsupportedEncoding: the request names a compression the server need
  // not have; Connect answers that with 501 unimplemented.
  unsupportedEncoding?: boolean;
  // expiredDeadline: Connect-Timeout-Ms is 0, or " 5" (HTTP trims the
  // space: 5 ms, which a call may well outlast), so 504 deadline_exceeded is
  // the protocol's answer.
  expiredDeadline?: boolean;
  // streaming: a streaming procedure, whose response may not start until
  // its first message (an idle Subscribe sends nothing).
  streaming?: boolean;
}

export const CONNECT_CODES: Record<string, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

const json = (v: unknown) => new Uint8Array(Buffer.from(JSON.stringify(v)));
const text = (s: string) => new Uint8Array(Buffer.from(s));
const JSON_TYPE = { "content-type": "application/json" };
const PROTO_TYPE = { "content-type": "application/proto" };

function unparsableJson(body: Uint8Array): boolean {
  try {
    // RFC 8259 lets a parser ignore a leading byte order mark.
    const v = JSON.parse(Buffer.from(body).toString("utf8").replace(/^\uFEFF/, "")) as unknown;
    return v === null || typeof v !== "object" || Array.isArray(v);
  } catch {
    return true;
  }
}

export function connectProperties(rpcs: RpcInfo[], namespace: string, runs: (n: number) => number): Array<{ name: string; arb: fc.Arbitrary<HttpCase>; numRuns: number }> {
  const unary = rpcs.filter((r) => !r.requestStream && !r.responseStream);
  const streaming = rpcs.filter((r) => r.requestStream || r.responseStream);
  const ns = { "berth-namespace": namespace };
  const anyRpc = fc.constantFrom(...rpcs);
  const unaryRpc = fc.constantFrom(...unary);

  const unknownPath = fc.oneof(
    fc.constantFrom(
      "/",
      "/berth.v1.ContainerService",
      "/berth.v1.ContainerService/",
      "/berth.v1.ContainerService/Nope",
      "/berth.v1.Nope/State",
      "/berth.v1.containerservice/state",
      "/berth.v1.ContainerService/State/extra",
      "//berth.v1.ContainerService/State",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/berth.v2.ContainerService/State",
      "/berth.v1.SystemService/Shutdown",
    ),
    fc.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{1,20}$/), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
  );

  return [
    {
      name: "unknown paths answer 404 with a JSON error",
      arb: unknownPath.map((path) => ({ input: "unknown path", method: "POST", path, headers: { ...JSON_TYPE, ...ns }, body: json({}), status: [404], why: "no such procedure" })),
      numRuns: runs(25),
    },
    {
      name: "wrong methods answer 405 with a JSON error",
      arb: fc.tuple(anyRpc, fc.constantFrom("GET", "PUT", "DELETE", "PATCH")).map(([rpc, method]) => ({
        input: "wrong method",
        method,
        path: rpc.path,
        bidi: rpc.requestStream && rpc.responseStream,
        headers: { ...JSON_TYPE, ...ns },
        ...(method === "GET" || method === "DELETE" ? {} : { body: json({}) }),
        status: [405],
        why: `${method} is not POST`,
      })),
      numRuns: runs(20),
    },
    {
      name: "wrong content types answer 415 with a JSON error",
      arb: fc
        .tuple(
          unaryRpc,
          fc.oneof(
            fc.constantFrom("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "application/json-seq", "application/connect+json", "image/png", "*/*", "application"),
            fc.stringMatching(/^[a-z]{1,10}\/[a-z]{1,10}$/).filter((t) => !/^application\/(json|proto|grpc|connect)/.test(t)),
            fc.constant(undefined),
          ),
        )
        .map(([rpc, type]) => ({
          input: "wrong content type",
          method: "POST",
          path: rpc.path,
          headers: { ...(type !== undefined && { "content-type": type }), ...ns },
          body: json({}),
          status: [415],
          why: `content type ${type ?? "(none)"}`,
        })),
      numRuns: runs(20),
    },
    {
      name: "random JSON bodies answer without a 5xx; unparsable ones 400 invalid_argument",
      arb: fc
        .tuple(
          unaryRpc,
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.jsonValue({ maxDepth: 3 }).map(json),
            fc.record({ id: fc.oneof(hostileString, fc.integer(), fc.constant(null), fc.array(fc.string())), processId: fc.oneof(fc.boolean(), hostileString), signal: fc.oneof(fc.integer(), hostileString) }, { requiredKeys: [] }).map(json),
            fc.constantFrom("{", "{\"id\":", "{\"id\": \"x\",}", "\uFEFF{}", "null", "[]", "\"x\"", "{\"id\": \"\\ud800\"}", "{\"resources\": {\"memoryLimitBytes\": \"1e999\"}}", "{\"condition\": \"WAIT_CONDITION_BOGUS\"}", "{\"statuses\": [\"STATUS_BOGUS\"]}").map(text),
          ),
        )
        .map(([rpc, body]) => ({
          input: "random JSON body",
          method: "POST",
          path: rpc.path,
          headers: { ...JSON_TYPE, ...ns },
          body,
          ...(unparsableJson(body) && { status: [400], code: "invalid_argument", why: "the body is no JSON object" }),
        })),
      numRuns: runs(40),
    },
    {
      name: "random protobuf bodies answer without a 5xx; unparsable ones 400 invalid_argument",
      arb: fc
        .tuple(
          unaryRpc,
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }).map((b) => ({ body: b, broken: false })),
            // A tag with wire type 6 or 7, or a varint that never ends: no
            // protobuf parser takes these.
            fc.tuple(fc.constantFrom(0x0e, 0x0f, 0x0b), fc.uint8Array({ maxLength: 40 })).map(([tag, rest]) => ({ body: new Uint8Array([tag, ...rest]), broken: true })),
            fc.constant({ body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), broken: true }),
            fc.constant({ body: new Uint8Array([0x0a, 0x10, 0x61]), broken: true }),
          ),
        )
        .map(([rpc, { body, broken }]) => ({
          input: "random protobuf body",
          method: "POST",
          path: rpc.path,
          headers: { ...PROTO_TYPE, ...ns },
          body,
          ...(broken && { status: [400], code: "invalid_argument", why: "the body is no protobuf message" }),
        })),
      numRuns: runs(40),
    },
    {
      name: "huge bodies answer 4xx, never 5xx",
      // Only requests with an id field: a huge id is a mistake whatever the
      // size limits are.
      arb: fc.tuple(fc.constantFrom(...unary.filter((r) => r.service === "ContainerService" && r.method !== "List")), fc.integer({ min: 1 << 20, max: 5 << 20 }), fc.constantFrom("json", "proto")).map(([rpc, n, kind]) => {
        const body = kind === "json" ? json({ id: "a".repeat(n) }) : new Uint8Array([0x0a, ...varint(n), ...new Uint8Array(n).fill(0x61)]);
        return { input: `huge ${kind} body`, method: "POST", path: rpc.path, headers: { ...(kind === "json" ? JSON_TYPE : PROTO_TYPE), ...ns }, body, status: [400, 413, 429], why: `a ${n}-byte id` };
      }),
      numRuns: runs(5),
    },
    {
      name: "invalid namespace headers answer 400 invalid_argument and show the name as sent",
      arb: fc
        .tuple(
          fc.constantFrom(...unary.filter((r) => r.service === "ContainerService")),
          fc.oneof(
            fc.constantFrom("caf\u00e9", "\u{1F600}", "\u540d\u524d", "na\u00efve-ns", "\u00fc/.."),
            hostileString.filter((s) => /^[!-~]([ -~]*[!-~])?$/.test(s) && !validId(s)),
          ),
        )
        .map(([rpc, name]) => {
          const ascii = /^[ -~]*$/.test(name);
          return {
            input: "namespace header",
            method: "POST",
            path: rpc.path,
            // A header carries bytes: a UTF-8 name goes as its UTF-8 bytes.
            headers: { ...JSON_TYPE, "berth-namespace": ascii ? name : Buffer.from(name, "utf8").toString("latin1") },
            body: json({ id: "x" }),
            // Past Node's header limit, 431 is the HTTP answer.
            status: name.length > 8192 ? [400, 431] : [400],
            ...(name.length <= 8192 && { code: "invalid_argument" }),
            why: "an invalid namespace",
            ...(!ascii && { namespaceShown: name }),
          };
        }),
      numRuns: runs(20),
    },
    {
      name: "hostile Connect-Timeout-Ms and protocol headers never get a 5xx",
      arb: fc
        .tuple(
          unaryRpc,
          fc.record(
            {
              "connect-timeout-ms": fc.constantFrom("-1", "abc", "99999999999", "1e3", "", "0", "18446744073709551616", " 5"),
              "connect-protocol-version": fc.constantFrom("0", "2", "x", ""),
              "content-encoding": fc.constantFrom("gzip", "br", "bogus", "identity"),
              "connect-content-encoding": fc.constantFrom("gzip", "bogus"),
            },
            { requiredKeys: [] },
          ),
        )
        .map(([rpc, extra]) => ({
          input: "hostile headers",
          method: "POST",
          path: rpc.path,
          headers: { ...JSON_TYPE, ...ns, ...extra },
          body: json({ id: "x" }),
          unsupportedEncoding: [extra["content-encoding"], extra["connect-content-encoding"]].some((e) => e !== undefined && !["gzip", "br", "identity"].includes(e)),
          expiredDeadline: extra["connect-timeout-ms"] === "0" || extra["connect-timeout-ms"] === " 5",
        })),
      numRuns: runs(20),
    },
    {
      name: "streaming procedures with any content type and body never get a 5xx",
      arb: fc
        .tuple(
          fc.constantFrom(...streaming),
          fc.constantFrom("application/json", "application/connect+json", "application/connect+proto", "application/proto"),
          fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.constant(envelope(json({ id: "x" }))), fc.constant(envelope(new Uint8Array(0))), fc.constant(new Uint8Array([0, 0xff, 0xff, 0xff, 0xff]))),
        )
        .map(([rpc, type, body]) => ({
          input: `streaming procedure, ${type}`,
          method: "POST",
          path: rpc.path,
          headers: { "content-type": type, ...ns },
          body,
          bidi: rpc.requestStream && rpc.responseStream,
          streaming: true,
          ...(type === "application/json" || type === "application/proto" ? { status: [415], why: "a unary content type on a streaming procedure" } : {}),
        })),
      numRuns: runs(20),
    },
  ];
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

// envelope frames one Connect streaming message (flags, length, data).
function envelope(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + data.length);
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
}
