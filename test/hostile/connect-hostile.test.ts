// The hostile-input suite's Connect leg: HTTP/1.1 requests on the daemon's
// unix socket (node:http with socketPath) with unknown paths, wrong methods,
// wrong content types, random and unparsable JSON and protobuf bodies, huge
// bodies and hostile headers. Per the Connect protocol each is answered with
// 400/404/405/415 (or the status of the code it reports) and a JSON error
// body, never a 5xx; no answer after its deadline; another client's Ping
// within 100 ms throughout (ping-probe.ts); nothing left behind. The daemon
// runs in a process of its own (hostile-daemon.ts).
//
// BERTH_HOSTILE_SEED, BERTH_HOSTILE_PATH and BERTH_HOSTILE_RUNS work as in
// grpc-hostile.test.ts.
import * as http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";
import { connectProperties, CONNECT_CODES, type HttpCase } from "./connect-cases.js";
import { cut, MAX_MESSAGE_BYTES, summarize, type Violation } from "./judge.js";
import { findLeaks } from "./leak-check.js";
import { startHostileDaemon, type HostileDaemon } from "./hostile-daemon.js";
import { describeSlow, PingProbe, SPAWN_BOUND_MS } from "./ping-probe.js";
import { rpcInventory } from "./rpc-inventory.js";
import { DefectLog, hostileSettings } from "./settings.js";
import { until } from "../fixtures/until.js";

const settings = hostileSettings();
const DEADLINE_MS = 5000;
const STREAM_MS = 300;
const defects = new DefectLog("Connect");

interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  elapsedMs: number;
  // open: a 200 stream still open when the suite cut it.
  open: boolean;
  error?: string;
}

// post sends one request on the unix socket and reads the answer, cut at
// the deadline (or, for a 200 stream, after STREAM_MS).
function send(socketPath: string, c: HttpCase): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    const done = (a: Omit<HttpAnswer, "elapsedMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ ...a, elapsedMs: performance.now() - started });
      req.destroy();
    };
    const req = http.request({ socketPath, method: c.method, path: c.path, headers: { ...c.headers, ...(c.body && { "content-length": String(c.body.length) }) }, agent: false });
    // A streaming procedure may hold its response until its first message:
    // no answer by STREAM_MS is a stream open and waiting.
    const deadline = c.streaming
      ? setTimeout(() => done({ status: 200, contentType: "", body: "", open: true }), STREAM_MS * 3)
      : setTimeout(() => done({ status: 0, contentType: "", body: "", open: false, error: `no answer within ${DEADLINE_MS} ms` }), DEADLINE_MS);
    req.on("error", (err) => done({ status: 0, contentType: "", body: "", open: false, error: `request failed: ${err.message}` }));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (open: boolean) =>
        done({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks).toString("utf8"), open });
      if (res.statusCode === 200) setTimeout(() => finish(true), STREAM_MS);
      res.on("data", (chunk: Buffer) => {
        if (size < 65536) chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () => finish(false));
      res.on("error", () => finish(false));
    });
    req.end(c.body ? Buffer.from(c.body) : undefined);
  });
}

function judgeAnswer(c: HttpCase, a: HttpAnswer): Violation[] {
  const out: Violation[] = [];
  if (a.error !== undefined) return [{ kind: a.error.startsWith("no answer") ? "no answer within the deadline" : "the request failed", text: a.error }];
  // Two 5xx are the protocol's own answers: 505 for a bidi procedure over
  // HTTP/1.1 (Connect serves those only on HTTP/2), 501 for a compression
  // the server does not have.
  const bidiOnHttp1 = a.status === 505 && c.bidi === true;
  const noSuchEncoding = a.status === 501 && c.unsupportedEncoding === true;
  const expired = a.status === 504 && c.expiredDeadline === true;
  const fivexx = a.status >= 500 && !bidiOnHttp1 && !noSuchEncoding && !expired;
  if (fivexx) out.push({ kind: `HTTP ${a.status} for a client's request`, text: `HTTP ${a.status} ${cut(a.body, 200)}` });
  if (c.status !== undefined && !c.status.includes(a.status) && !bidiOnHttp1) {
    out.push({ kind: `expected HTTP ${c.status.join("/")} for: ${c.why}`, text: `expected HTTP ${c.status.join(" or ")} (${c.why}), got ${a.status} ${cut(a.body, 200)}` });
  }
  if (a.status !== 200 && !bidiOnHttp1) {
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = JSON.parse(a.body) as { code?: unknown; message?: unknown };
    } catch {
      error = undefined;
    }
    if (!/^application\/json/.test(a.contentType) || error === undefined || typeof error !== "object" || error === null || typeof error.code !== "string") {
      out.push({ kind: `HTTP ${a.status} without a JSON error body`, text: `HTTP ${a.status} with content type "${a.contentType}" and body ${JSON.stringify(cut(a.body, 200))}` });
    } else {
      const code = error.code as string;
      const message = typeof error.message === "string" ? error.message : "";
      if (!(code in CONNECT_CODES)) out.push({ kind: "an error code Connect does not have", text: `code ${JSON.stringify(code)}` });
      if (noSuchEncoding && code !== "unimplemented") out.push({ kind: "an unknown compression not answered unimplemented", text: `${code}: ${cut(message)}` });
      if (code === "unknown" || code === "internal") out.push({ kind: `code ${code} for a client's request`, text: `${code}: ${cut(message)}` });
      // Statuses HTTP itself decides (no route, method, media type, header
      // size) carry whichever code says it best.
      const routed = c.status?.some((s) => s === 404 || s === 405 || s === 415) === true || a.status === 431;
      if (!routed && code in CONNECT_CODES && CONNECT_CODES[code] !== a.status) out.push({ kind: "HTTP status and error code disagree", text: `HTTP ${a.status} with code ${code} (Connect sends ${CONNECT_CODES[code]})` });
      if (c.code !== undefined && code !== c.code) out.push({ kind: `expected code ${c.code} for: ${c.why}`, text: `expected ${c.code} (${c.why}), got ${code}: ${cut(message)}` });
      if (Buffer.byteLength(message) >= MAX_MESSAGE_BYTES) out.push({ kind: "error message over 1 KiB", text: `the message is ${Buffer.byteLength(message)} bytes` });
      if (c.namespaceShown !== undefined && message.includes(Buffer.from(c.namespaceShown, "utf8").toString("latin1"))) {
        out.push({ kind: "a UTF-8 namespace shown garbled", text: `the message shows ${JSON.stringify(c.namespaceShown)} as latin1: ${cut(message)}` });
      }
    }
  }
  if (a.elapsedMs > DEADLINE_MS + 250) out.push({ kind: "answer after the deadline", text: `answered after ${Math.round(a.elapsedMs)} ms` });
  return out;
}

describe(`hostile input over Connect (HTTP/1.1, seed ${settings.seed})`, () => {
  let daemon: HostileDaemon;
  let probe: PingProbe;
  let control: GrpcJsClient;
  // created: containers a random body happened to create.
  const created = new Set<string>();

  beforeAll(async () => {
    console.log(`hostile Connect suite: seed ${settings.seed} (BERTH_HOSTILE_SEED=${settings.seed} replays it)`);
    daemon = await startHostileDaemon("hostilec");
    probe = new PingProbe(daemon.socketPath, daemon.pid, settings.pingBoundMs);
    control = createGrpcJsClient(daemon.socketPath);
    // Warm-up: one case of every property, unjudged and unprobed, so the
    // probe measures the daemon's steady state, not its first compile of
    // each code path.
    for (const def of connectProperties(rpcInventory(), daemon.namespace, settings.runs)) {
      for (const c of fc.sample(def.arb, { numRuns: 1, seed: settings.seed })) {
        const a = await send(daemon.socketPath, c);
        if (a.status === 200 && c.path.endsWith("/Create")) {
          const id = (JSON.parse(a.body || "{}") as { container?: { id?: string } }).container?.id;
          if (id) created.add(id);
        }
      }
    }
    console.log(`hostile Connect suite: ${await probe.idleBaseline(1000)}`);
  }, 60_000);

  afterAll(async () => {
    defects.print();
    for (const id of created) await control?.unary("ContainerService", "Delete", { id, force: true }, { namespace: daemon.namespace, deadlineMs: 15_000 }).catch(() => {});
    await probe?.close();
    control?.close();
    if (daemon?.stderr()) console.log(`hostile Connect suite, the daemon's stderr:\n${daemon.stderr()}`);
    await daemon?.stop();
  });

  const names = connectProperties(rpcInventory(), "x", () => 1).map((p) => p.name);
  for (const name of names) {
    it(name, async () => {
      const def = connectProperties(rpcInventory(), daemon.namespace, settings.runs).find((p) => p.name === name)!;
      let last = "";
      // surveyed: the bad answers of a survey run (BERTH_HOSTILE_SURVEY=1).
      const surveyed: string[] = [];
      await probe.start();
      const details = await fc.check(
        fc.asyncProperty(def.arb, (c) => oneRun(c)),
        { seed: settings.seed, numRuns: def.numRuns, plugins: [fc.interruptAfterTimeLimit(settings.propertyTimeLimitMs)], ...(settings.path !== undefined && { path: settings.path }) },
      );
      async function oneRun(c: HttpCase): Promise<void> {
        const a = await send(daemon.socketPath, c);
        if (a.status === 200 && c.path.endsWith("/Create")) {
          const id = (JSON.parse(a.body || "{}") as { container?: { id?: string } }).container?.id;
          if (id) created.add(id);
        }
        last = `${c.method} ${c.path} ${summarize(c.headers)} body ${c.body ? summarize(c.body) : "(none)"} -> HTTP ${a.status} ${cut(a.body, 200)}`;
        const violations = judgeAnswer(c, a);
        for (const v of violations) defects.add(c.path, c.input, v, last);
        if (violations.length === 0) return;
        const text = `${c.input}: ${violations.map((v) => v.text).join("; ")}\nrequest: ${last}`;
        if (!settings.survey) throw new Error(text);
        surveyed.push(text);
      }
      const report = await probe.stop();
      const problems: string[] = [];
      if (details.failed) {
        problems.push(
          [
            `${name}: failed after ${details.numRuns} runs and ${details.numShrinks} shrinks`,
            `replay: BERTH_HOSTILE_SEED=${details.seed} BERTH_HOSTILE_PATH=${details.counterexamplePath} npx vitest run test/hostile -t ${JSON.stringify(name)}`,
            `counterexample: ${summarize((details.counterexample as unknown[] | null)?.[0])}`,
            String((details.errorInstance as Error | null)?.message ?? details.errorInstance),
          ].join("\n"),
        );
      }
      if (surveyed.length > 0) problems.push(`${name}: ${surveyed.length} bad answers in ${details.numRuns} runs (survey); the first three:\n${surveyed.slice(0, 3).join("\n\n")}`);
      const bound = probe.boundMs;
      if (report.slow.length > 0) {
        defects.add("*", name, { kind: `another client's Ping over ${bound} ms by the daemon's own doing`, text: "" }, last);
        problems.push(`another client's Ping waited longer than ${bound} ms on the daemon (host CPU contention taken off), or over ${SPAWN_BOUND_MS} ms on its spawns: ${report.slow.map(describeSlow).join(", ")} (of ${report.pings} pings); last request: ${last}`);
      }
      if (report.contended > 0) console.log(`${name}: ${report.contended} of ${report.pings} pings over ${bound} ms only by host CPU contention (not counted)`);
      for (const failure of report.failures.slice(0, 3)) problems.push(`another client's ${failure}`);
      const dead = await probe.alive();
      if (dead !== undefined) problems.push(dead);
      if (daemon.exitText() !== undefined) problems.push(`the daemon ${daemon.exitText()}; its stderr:\n${cut(daemon.stderr(), 2000)}`);
      if (problems.length > 0) throw new Error(problems.join("\n\n"));
    }, 120_000);
  }

  it("leaves no container, folder, mount, cgroup or process behind", async () => {
    const refused: string[] = [];
    for (const id of created) {
      try {
        await control.unary("ContainerService", "Delete", { id, force: true }, { namespace: daemon.namespace, deadlineMs: 15_000 });
        created.delete(id);
      } catch (err) {
        if ((err as { code?: number }).code === 5) created.delete(id);
        else refused.push(`Delete(force) ${id}: ${(err as Error).message}`);
      }
    }
    let leaks: string[] = [];
    await until(() => (leaks = findLeaks(daemon.stateDir, daemon.cgroupParent)).length === 0, "nothing left behind", 10_000).catch(() => {});
    expect({ refused, leaks }).toEqual({ refused: [], leaks: [] });
  }, 60_000);
});
