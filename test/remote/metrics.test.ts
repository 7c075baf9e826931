// Prometheus metrics on a real daemon, read with GET /metrics over the unix
// socket: a created container by namespace and state, calls counted by
// method and code on both stacks, events, execs, subscribers, and the
// process's own metrics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { GrpcClient } from "../../src/client/grpc-client.js";
import { unixPost } from "../fixtures/unix-http.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

let daemon: TestDaemon;
let client: GrpcClient;
const made: string[] = [];

beforeAll(async () => {
  daemon = await startTestDaemon("metrics");
  client = await GrpcClient.connect({ socketPath: daemon.socketPath, namespace: daemon.namespace });
}, 30_000);

afterAll(async () => {
  for (const id of made) await client.delete(id, { force: true }).catch(() => {});
  await client?.close();
  await daemon?.stop();
}, 60_000);

async function scrape(): Promise<string> {
  const answer = await unixPost(daemon.socketPath, "/metrics", {}, "", "GET");
  expect(answer.status).toBe(200);
  expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
  return answer.body.toString();
}

// value reads one sample; labels must appear in the exposition's order.
function value(text: string, name: string, labels: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`) || (labels === "" && l.startsWith(`${name} `)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("metrics", () => {
  it("show a created container, its calls by method and code, its events and exec", async () => {
    const id = daemon.id("web");
    made.push(id);
    await client.create(id, { process: { args: ["sleep", "300"] } });
    const before = await scrape();
    const stateCalls = (t: string) => value(t, "berth_rpc_duration_seconds_count", `service="berth.v1.ContainerService",method="State",code="OK"`);
    const notFound = (t: string) => value(t, "berth_rpc_duration_seconds_count", `service="berth.v1.ContainerService",method="State",code="NOT_FOUND"`);
    for (let i = 0; i < 3; i++) await client.state(id);
    await expect(client.state(daemon.id("nobody"))).rejects.toMatchObject({ code: "not_found" });
    // The same method over Connect (connect-node) counts too.
    const connect = await unixPost(daemon.socketPath, "/berth.v1.ContainerService/State", { "content-type": "application/json", "berth-namespace": daemon.namespace }, JSON.stringify({ id }));
    expect(connect.status).toBe(200);
    const exec = await client.addProcess(id, "e1", { args: ["true"] });
    await client.wait(id, { processId: exec.id });
    const stop = new AbortController();
    const consumed = (async () => {
      for await (const _ of client.subscribe({ containerIds: [id], signal: stop.signal }));
    })().catch(() => {});
    await until(async () => value(await scrape(), "berth_event_subscribers", "") >= 1, "the subscriber to show");

    const after = await scrape();
    expect(value(after, "berth_containers", `namespace="${daemon.namespace}",state="running"`)).toBe(1);
    expect(stateCalls(after) - stateCalls(before)).toBe(4);
    expect(notFound(after) - notFound(before)).toBe(1);
    expect(after).toMatch(/berth_rpc_duration_seconds_bucket\{le="0.005",service="berth.v1.ContainerService",method="State",code="OK"\} \d+/);
    expect(value(after, "berth_events_published_total", `type="create"`)).toBeGreaterThanOrEqual(1);
    expect(value(after, "berth_execs_total", "") - value(before, "berth_execs_total", "")).toBe(1);
    expect(value(after, "berth_ooms_total", "")).toBe(0);
    expect(after).toMatch(/^berth_events_delivered_total \d+$/m);
    expect(after).toMatch(/^berth_monitor_deaths_total 0$/m);
    expect(after).toMatch(/^berth_process_cpu_seconds_total [\d.e+-]+$/m);
    expect(after).toMatch(/^berth_process_resident_memory_bytes \d+$/m);
    stop.abort();
    await consumed;
  }, 60_000);
});
