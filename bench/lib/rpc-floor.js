#!/usr/bin/env node
// @ts-check
// The RPC floor: SystemService.Ping from a @grpc/grpc-js client in this
// process to servers in child processes, over unix sockets, interleaved
// round by round. Each round takes, per server, the median latency of
// sequential calls and the calls per second with 64 in flight; the report
// gives the median over rounds and each server's ratio to the first one,
// paired round by round.
//
//   npm run build && node bench/lib/rpc-floor.js [--rounds 9] [--servers connect,grpc-js,berth]
//
// or, leaving dist/ alone, a private build inside the tree (so that bare
// imports resolve):
//   npx tsc -p tsconfig.build.json --outDir node_modules/.cache/berth-rpc-floor
//   node bench/lib/rpc-floor.js --dist node_modules/.cache/berth-rpc-floor
//
// Servers (all serve berth's own routes over a fake namespace resolver):
//   connect  http2.createServer(connectNodeAdapter(...)): berth's server
//            before the protocol router, one handler for every protocol
//   grpc-js  a @grpc/grpc-js Server over the same handlers (grpc-js-adapter)
//   berth    startServer() as built: whatever berth serves today
//   berth-metrics  the same with Prometheus metrics on (every call timed) and
//            the RPC log at info, as `berth serve` runs (each call's level check)
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { median, pairedRatio } from "./stats.js";

const KINDS = ["connect", "grpc-js", "berth", "berth-metrics"];
const PING = "/berth.v1.SystemService/Ping";

const { values: args } = parseArgs({
  options: {
    dist: { type: "string", default: "dist" },
    rounds: { type: "string", default: "9" },
    calls: { type: "string", default: "400" },
    "in-flight": { type: "string", default: "64" },
    "burst-ms": { type: "string", default: "1500" },
    servers: { type: "string", default: KINDS.join(",") },
    serve: { type: "string" },
    socket: { type: "string" },
  },
});

if (args.serve !== undefined) {
  await serve(args.serve, /** @type {string} */ (args.socket), resolve(args.dist ?? "dist"));
} else {
  await main();
}

/**
 * serve runs one server in this (child) process until it is killed.
 * @param {string} kind
 * @param {string} socketPath
 * @param {string} dist
 */
async function serve(kind, socketPath, dist) {
  const load = (/** @type {string} */ file) => import(pathToFileURL(join(dist, file)).href);
  const { berthRoutes, startServer } = await load("remote/server.js");
  const { createGrpcJsServer, methodSpecsOf } = await load("remote/grpc-js-adapter.js");
  const noNamespaces = {
    clientFor() {
      throw new Error("the rpc-floor bench resolves no namespace");
    },
    version: async () => ({ version: "bench", runtime: "none", runtimeVersion: "", monitorVersion: "", cgroupMode: "" }),
  };
  const routes = berthRoutes(noNamespaces);
  if (kind === "connect") {
    const { connectNodeAdapter } = await import("@connectrpc/connect-node");
    const server = http2.createServer(connectNodeAdapter({ routes }));
    await new Promise((done) => server.listen(socketPath, () => done(undefined)));
  } else if (kind === "grpc-js") {
    const server = createGrpcJsServer(methodSpecsOf(routes), new AbortController().signal);
    await new Promise((done, fail) =>
      server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (/** @type {Error | null} */ err) =>
        err ? fail(err) : done(undefined),
      ),
    );
  } else if (kind === "berth") {
    await startServer({ socketPath, routes });
  } else if (kind === "berth-metrics") {
    const { DaemonMetrics } = await load("metrics/daemon-metrics.js");
    const events = { publishedByType: [], delivered: 0, dropped: 0, cutOff: 0, monitorDeaths: 0 };
    const sources = { containers: async () => [], subscribers: () => 0, events, eventTypeName: String, types: { oom: 9, startProcess: 7, restore: 6 } };
    const { createLogger } = await load("log/create-logger.js");
    const { RpcLog } = await load("log/rpc-log.js");
    await startServer({ socketPath, routes, metrics: new DaemonMetrics(sources), rpcLog: new RpcLog(createLogger({ level: "info" })) });
  } else {
    throw new Error(`unknown server kind ${kind}; one of ${KINDS.join(", ")}`);
  }
  process.send?.("ready");
}

async function main() {
  const kinds = (args.servers ?? "").split(",").filter((k) => k !== "");
  const rounds = Number(args.rounds);
  const calls = Number(args.calls);
  const inFlight = Number(args["in-flight"]);
  const burstMs = Number(args["burst-ms"]);
  const dir = await mkdtemp(join(tmpdir(), "berth-floor-"));
  const self = new URL(import.meta.url).pathname;
  /** @type {import("node:child_process").ChildProcess[]} */
  const children = [];
  try {
    /** @type {Map<string, grpc.Client>} */
    const clients = new Map();
    for (const kind of kinds) {
      const socketPath = join(dir, `${kind}.sock`);
      const child = fork(self, ["--serve", kind, "--socket", socketPath, "--dist", args.dist ?? "dist"], { stdio: "inherit" });
      children.push(child);
      await new Promise((done, fail) => {
        child.once("message", done);
        child.once("exit", (code) => fail(new Error(`the ${kind} server exited with ${code} before it was ready`)));
      });
      clients.set(kind, new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure()));
    }
    for (const [kind, client] of clients) {
      for (let i = 0; i < 300; i++) await ping(client);
      await burst(client, inFlight, 300);
      console.error(`warmed up ${kind}`);
    }
    /** @type {Record<string, { latencyUs: number[], callsPerSecond: number[] }>} */
    const results = Object.fromEntries(kinds.map((k) => [k, { latencyUs: [], callsPerSecond: [] }]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no server always runs right after another.
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length] ?? "");
      for (const kind of order) {
        const client = /** @type {grpc.Client} */ (clients.get(kind));
        const r = /** @type {{ latencyUs: number[], callsPerSecond: number[] }} */ (results[kind]);
        r.latencyUs.push(await sequentialMedianUs(client, calls));
        r.callsPerSecond.push(await burst(client, inFlight, burstMs));
      }
      const line = kinds.map((k) => `${k} ${results[k]?.latencyUs.at(-1)?.toFixed(0)} µs ${results[k]?.callsPerSecond.at(-1)?.toFixed(0)}/s`);
      console.error(`round ${round + 1}/${rounds}: ${line.join(", ")}`);
    }
    for (const client of clients.values()) client.close();
    report(kinds, results, { rounds, calls, inFlight, burstMs });
  } finally {
    for (const child of children) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * @param {string[]} kinds
 * @param {Record<string, { latencyUs: number[], callsPerSecond: number[] }>} results
 * @param {{ rounds: number, calls: number, inFlight: number, burstMs: number }} setup
 */
function report(kinds, results, setup) {
  const base = /** @type {string} */ (kinds[0]);
  const baseResult = /** @type {{ latencyUs: number[], callsPerSecond: number[] }} */ (results[base]);
  console.log(
    `\nSystemService.Ping over a unix socket, grpc-js client; ${setup.rounds} interleaved rounds, each ${setup.calls} sequential calls ` +
      `and ${setup.burstMs} ms with ${setup.inFlight} in flight. Medians over rounds; ratios paired by round, against ${base}.\n`,
  );
  console.log(`| server | median latency | latency / ${base} | calls/s (${setup.inFlight} in flight) | calls/s / ${base} |`);
  console.log("|---|---:|---:|---:|---:|");
  for (const kind of kinds) {
    const r = /** @type {{ latencyUs: number[], callsPerSecond: number[] }} */ (results[kind]);
    const latencyRatio = pairedRatio(r.latencyUs, baseResult.latencyUs) ?? NaN;
    const rateRatio = pairedRatio(r.callsPerSecond, baseResult.callsPerSecond) ?? NaN;
    console.log(
      `| ${kind} | ${(median(r.latencyUs) / 1000).toFixed(3)} ms | ${latencyRatio.toFixed(2)}× | ${median(r.callsPerSecond).toFixed(0)} | ${rateRatio.toFixed(2)}× |`,
    );
  }
}

/**
 * ping makes one empty unary call.
 * @param {grpc.Client} client
 * @returns {Promise<void>}
 */
function ping(client) {
  return new Promise((done, fail) => {
    client.makeUnaryRequest(
      PING,
      () => Buffer.alloc(0),
      (bytes) => bytes,
      {},
      (err) => (err ? fail(err) : done()),
    );
  });
}

/**
 * sequentialMedianUs times n calls made one after another.
 * @param {grpc.Client} client
 * @param {number} n
 */
async function sequentialMedianUs(client, n) {
  /** @type {number[]} */
  const samples = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await ping(client);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return median(samples);
}

/**
 * burst keeps inFlight calls open for ms milliseconds and returns calls/s.
 * @param {grpc.Client} client
 * @param {number} inFlight
 * @param {number} ms
 */
async function burst(client, inFlight, ms) {
  const start = process.hrtime.bigint();
  const until = Date.now() + ms;
  let done = 0;
  const worker = async () => {
    while (Date.now() < until) {
      await ping(client);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}
