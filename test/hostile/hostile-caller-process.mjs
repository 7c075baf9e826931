// The hostile suite's caller, in a process of its own: a gRPC client that
// knows berth only through proto/berth/v1/*.proto (grpc-js and proto-loader,
// nothing from src/). It runs apart from the daemon (a process of its own,
// hostile-daemon.ts) and from the test's process, so that encoding a huge
// request here never holds up the test or the Ping probe, and its deadlines
// fire on time even while the daemon's event loop is stuck.
//
//   node hostile-caller-process.mjs <socket path> <proto dir>   (IPC channel)
//
// Each message from the parent is one call; the answer says how it ended:
//   { seq, code, details, elapsedMs, received, open, firstResponse, error,
//     containerId, processId }
// code is the gRPC status (0 for OK); open is true when a stream was still
// open, without error, when the caller cut it after streamMs (the caller's own
// CANCELLED is then not reported as the status). containerId and processId
// name what a successful Create or AddProcess made.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const [socketPath, protoDir] = process.argv.slice(2);

const definition = protoLoader.loadSync(["berth/v1/containers.proto", "berth/v1/events.proto", "berth/v1/system.proto", "berth/v1/networks.proto", "berth/v1/images.proto"], {
  includeDirs: [protoDir],
  keepCase: false,
  longs: String,
  enums: Number,
  defaults: true,
});

// A default client: grpc-js's own limits (4 MiB messages in, 8 KiB of
// metadata in) are what any caller would have.
const client = new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure(), {
  "grpc.max_send_message_length": -1,
});

function methodOf(service, method) {
  const desc = definition[`berth.v1.${service}`];
  const found = desc?.[method];
  if (!found) throw new Error(`berth.v1.${service} has no method ${method}`);
  return found;
}

const identity = (b) => b;

// A raw call sends its bytes as they are; answers are always decoded.
function codecOf(m, raw) {
  return { serialize: raw ? identity : (v) => m.requestSerialize(v), deserialize: (b) => m.responseDeserialize(b) };
}

function brief(value) {
  try {
    const text = JSON.stringify(value, (_k, v) => (v && v.type === "Buffer" && Array.isArray(v.data) ? `<${v.data.length} bytes>` : v));
    return text.length > 400 ? `${text.slice(0, 400)}…` : text;
  } catch {
    return String(value);
  }
}

function toBuffer(value) {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

function fillIndex(item, i) {
  if (typeof item === "string") return item.replaceAll("{i}", String(i));
  if (Array.isArray(item)) return item.map((v) => fillIndex(v, i));
  if (item && typeof item === "object" && !(item instanceof Uint8Array)) return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fillIndex(v, i)]));
  return item;
}

// materialize turns what structured clone left of Uint8Array fields back into
// Buffers (proto-loader wants Buffer or base64 for bytes fields), and
// expands the recipes of huge fields (hostile-values.ts: $repeat, $entries).
function materialize(value) {
  if (value instanceof Uint8Array) return toBuffer(value);
  if (Array.isArray(value)) return value.map(materialize);
  if (value && typeof value === "object" && "$repeat" in value) {
    const out = (value.head ?? []).map(materialize);
    for (let i = 0; i < value.$repeat; i++) out.push(materialize(fillIndex(value.item, i)));
    return out;
  }
  if (value && typeof value === "object" && "$entries" in value) {
    const out = {};
    for (let i = 0; i < value.$entries; i++) out[fillIndex(value.key, i)] = fillIndex(value.value, i);
    return out;
  }
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = materialize(v);
    return out;
  }
  return value;
}

function call(msg) {
  return new Promise((resolve) => {
    const m = methodOf(msg.service, msg.method);
    const kind = m.requestStream ? (m.responseStream ? "bidi" : "clientStream") : m.responseStream ? "serverStream" : "unary";
    const codec = codecOf(m, msg.raw === true);
    const metadata = new grpc.Metadata();
    if (msg.namespace !== undefined) metadata.set("berth-namespace", msg.namespace);
    const started = performance.now();
    const options = { deadline: Date.now() + msg.deadlineMs };
    let settled = false;
    let received = 0;
    let firstResponse;
    let cutTimer;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(cutTimer);
      resolve({ received, firstResponse, elapsedMs: performance.now() - started, open: false, ...result });
    };
    const fromError = (err) => done({ code: err.code, details: err.details ?? err.message, metadataKeys: err.metadata ? Object.keys(err.metadata.getMap()) : [] });
    let request;
    try {
      request = msg.raw ? (Array.isArray(msg.request) ? msg.request.map(toBuffer) : toBuffer(msg.request)) : materialize(msg.request);
    } catch (err) {
      done({ code: -1, details: `the caller could not build the request: ${err.message}`, error: true });
      return;
    }
    try {
      if (kind === "unary") {
        client.makeUnaryRequest(m.path, codec.serialize, codec.deserialize, request, metadata, options, (err, res) => {
          if (err) fromError(err);
          else done({ code: 0, details: "", firstResponse: brief(res), containerId: res?.container?.id, processId: res?.process?.id });
        });
        return;
      }
      if (kind === "clientStream") {
        // request is the list of messages to send, in order.
        const call = client.makeClientStreamRequest(m.path, codec.serialize, codec.deserialize, metadata, options, (err, res) => {
          if (err) fromError(err);
          else done({ code: 0, details: "", firstResponse: brief(res) });
        });
        for (const one of request) call.write(msg.raw ? one : materialize(one));
        // An ended client stream is a request like a unary one: its answer
        // is awaited (the deadline bounds it); only one left open is cut.
        if (msg.endInput) {
          call.end();
          return;
        }
        cutTimer = setTimeout(() => {
          if (settled) return;
          done({ code: 0, details: "", open: true });
          call.cancel();
        }, msg.streamMs);
        return;
      }
      const stream =
        kind === "serverStream"
          ? client.makeServerStreamRequest(m.path, codec.serialize, codec.deserialize, request, metadata, options)
          : client.makeBidiStreamRequest(m.path, codec.serialize, codec.deserialize, metadata, options);
      stream.on("data", (res) => {
        received += 1;
        if (firstResponse === undefined) firstResponse = brief(res);
      });
      stream.on("error", fromError);
      stream.on("status", (status) => {
        if (status.code === 0) done({ code: 0, details: status.details });
      });
      if (kind === "bidi") {
        // request is the list of messages to send, in order.
        for (const one of request) stream.write(msg.raw ? one : materialize(one));
        if (msg.endInput) stream.end();
      }
      cutTimer = setTimeout(() => {
        if (settled) return;
        done({ code: 0, details: "", open: true });
        stream.cancel();
      }, msg.streamMs);
    } catch (err) {
      // The client refused to send it (an illegal metadata value, a request
      // proto-loader cannot encode): a fact about the request, not the daemon.
      done({ code: -1, details: `the caller could not send the request: ${err.message}`, error: true });
    }
  });
}

process.on("message", (msg) => {
  if (msg.op === "close") {
    client.close();
    process.disconnect();
    return;
  }
  call(msg).then((result) => process.send({ seq: msg.seq, ...result }));
});
// The suite went away: so does its caller.
process.on("disconnect", () => process.exit(0));
