// A test-only failpoint for the hostile suite's daemon, loaded with
// `node --import` (hostile-daemon.ts does so when BERTH_HOSTILE_STALL_RPC is
// set): whenever a call of that RPC arrives ("/berth.v1.SystemService/Version";
// gRPC over HTTP/2 or Connect over HTTP/1.1), the daemon's main thread
// busy-loops until it has used BERTH_HOSTILE_STALL_MS (default 400) of CPU
// time before serving it, as a handler with a quadratic loop would (on a
// busy host that takes longer). It exists to prove the Ping probe
// (ping-probe.ts) fails a daemon that stalls; nothing in src/ knows of it.
import { createRequire } from "node:module";

const rpc = process.env.BERTH_HOSTILE_STALL_RPC;
const stallMs = Number(process.env.BERTH_HOSTILE_STALL_MS || 400);

function stall(path) {
  if (path?.split("?")[0] !== rpc) return;
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const end = cpuMs() + stallMs;
  while (cpuMs() < end) {
    // the daemon's loop is stuck here
  }
}

if (rpc) {
  // The CommonJS module objects are the ones grpc-js and connect-node call.
  const require = createRequire(import.meta.url);
  const http2 = require("node:http2");
  const http = require("node:http");
  const createHttp2 = http2.createServer;
  http2.createServer = (...args) => {
    const server = createHttp2(...args);
    server.prependListener("stream", (_stream, headers) => stall(headers[":path"]));
    return server;
  };
  const createHttp1 = http.createServer;
  http.createServer = (...args) => {
    const server = createHttp1(...args);
    server.prependListener("request", (req) => stall(req.url));
    return server;
  };
}
