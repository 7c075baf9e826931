// Every RPC, given a client's mistake, answers INVALID_ARGUMENT with a short
// message that says what to change: never INTERNAL with runc's stderr, never
// a wait until the deadline, never a message too long for a default
// client's 8 KiB metadata limit. The same table runs in-process and over
// gRPC against one real daemon.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import type { EventType, RestartPolicy_Kind, Status, WaitCondition } from "../../src/client/types.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const LONG_ID = "a".repeat(10_000);
const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"];
const env = (n: number) => Array.from({ length: n }, (_, i) => `K${i}=v`);
const PROC = { destination: "/proc", type: "proc", source: "proc" };
// json encodes a spec with procfs at /proc (runc needs it) and the rest given.
const json = (value: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify({ mounts: [PROC], ...value }));

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // reading until the error
  }
}

// failure awaits a call that must fail and returns its error.
async function failure(call: () => Promise<unknown>): Promise<BerthError> {
  const err = await call().then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BerthError);
  return err as BerthError;
}

type Case = [rpc: string, call: (c: Client, cid: string) => Promise<unknown>, message: RegExp];

const cases: Case[] = [
  ["Create: an id of 10,000 characters", (c) => c.create(LONG_ID, { process: { args: ["true"] } }), /^invalid container id "a{64}"…\(10000 bytes\)/],
  ["Create: env one past its bound", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"], env: env(16_385) } }), /process\.env has 16385 entries, over the limit of 16384/],
  ["Create: a uid above 2^31-1", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"], user: { uid: 2 ** 31 } } }), /process\.user\.uid 2147483648 is out of range: give 0 to 2147483647/],
  ["Create: a gid above 2^31-1", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"], user: { uid: 0, gid: 4_294_967_295 } } }), /process\.user\.gid 4294967295 is out of range/],
  ["Create: a cpuset of CPUs the host lacks", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"] }, resources: { cpusetCpus: "999" } }), /^resources\.cpuset_cpus 999: this host has CPUs \S+ online/],
  ["Create: a bind source that does not exist", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"] }, mounts: [{ source: "/no/such/dir", destination: "/data" }] }), /^mounts\[0\]\.source "\/no\/such\/dir" does not exist on the daemon's host/],
  ["Create: a bind mount over /proc", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"] }, mounts: [{ source: "/tmp", destination: "/proc" }] }), /^mounts\[0\] covers \/proc/],
  ["Create: oci_spec_json with a uid of the wrong type", (c, cid) => c.create(`${cid}-x`, { ociSpecJson: json({ process: { args: ["true"], user: { uid: "0", gid: 0 } } }) }), /^oci_spec_json: \/process\/user\/uid must be integer$/],
  ["Create: oci_spec_json with a cpuset the host lacks", (c, cid) => c.create(`${cid}-x`, { ociSpecJson: json({ process: { args: ["true"] }, linux: { resources: { cpu: { cpus: "64-127" } } } }) }), /^oci_spec_json: \/linux\/resources\/cpu\/cpus 64-127: this host has CPUs/],
  ["Create: oci_spec_json binding a missing source", (c, cid) => c.create(`${cid}-x`, { ociSpecJson: json({ process: { args: ["true"] }, mounts: [PROC, { destination: "/d", type: "bind", source: "/no/such", options: ["rbind"] }] }) }), /^oci_spec_json: \/mounts\/1\/source "\/no\/such" does not exist/],
  ["Create: oci_spec_json without procfs at /proc", (c, cid) => c.create(`${cid}-x`, { ociSpecJson: json({ process: { args: ["true"] }, mounts: [] }) }), /^oci_spec_json: \/mounts has no procfs at \/proc/],
  ["Create: 129 labels", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"] }, labels: Object.fromEntries(env(129).map((e) => e.split("="))) }), /labels has 129 entries, over the limit of 128/],
  ["Create: a hostname of 10,000 characters", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"] }, hostname: "h".repeat(10_000) }), /hostname "h{64}"…\(10000 bytes\) is longer than the limit of 253 bytes/],
  ["Create: a rootfs path of 5,000 characters", (c, cid) => c.create(`${cid}-x`, { rootfs: { source: { case: "path", value: `/${"r".repeat(5000)}` } } }), /rootfs\.path "\/r{63}"…\(5001 bytes\) is longer than the limit of 4095/],
  ["Create: an unknown restart policy kind", (c, cid) => c.create(`${cid}-x`, { process: { args: ["true"] }, restartPolicy: { kind: 99 as RestartPolicy_Kind } }), /^restart_policy\.kind 99 is no RestartPolicy\.Kind: give one of KIND_UNSPECIFIED \(0\), KIND_NO \(1\), KIND_ALWAYS \(2\)/],
  ["Signal: a signal of 10,000 characters", (c, cid) => c.signal(cid, "S".repeat(10_000)), /^signal "S{64}"…\(10000 bytes\) is longer than the limit of 32 bytes$/],
  ["Signal: an id of 10,000 characters", (c) => c.signal(LONG_ID, "TERM"), /…\(10000 bytes\)/],
  ["SignalProcess: no process_id", (c, cid) => c.signalProcess(cid, "", "TERM"), /^process_id is required: name an exec'd process, or "init" for the container's first process$/],
  ["SignalProcess: a process id that is no id", (c, cid) => c.signalProcess(cid, "../x", "TERM"), /invalid process id "\.\.\/x"/],
  ["AddProcess: no process_id", (c, cid) => c.addProcess(cid, "", { args: ["true"] }), /^process_id is required: name the new process/],
  ["AddProcess: env one past its bound", (c, cid) => c.addProcess(cid, "e", { args: ["true"], env: env(16_385) }), /process\.env has 16385 entries/],
  ["AddProcess: a uid above 2^31-1", (c, cid) => c.addProcess(cid, "e", { args: ["true"], user: { uid: 2 ** 31 } }), /process\.user\.uid 2147483648 is out of range/],
  ["Resize: a size of 0", (c, cid) => c.resize(cid, "", 0, 10), /terminal size 0x10 is not valid/],
  ["CloseStdin: a process id of 10,000 characters", (c, cid) => c.closeStdin(cid, LONG_ID), /invalid process id "a{64}"…\(10000 bytes\)/],
  ["Pause: an id of 10,000 characters", (c) => c.pause(LONG_ID), /…\(10000 bytes\)/],
  ["Resume: an id of 10,000 characters", (c) => c.resume(LONG_ID), /…\(10000 bytes\)/],
  ["Restore: an id of 10,000 characters", (c) => c.restore(LONG_ID), /…\(10000 bytes\)/],
  ["Stats: an id of 10,000 characters", (c) => c.stats(LONG_ID), /…\(10000 bytes\)/],
  ["ListPids: an id of 10,000 characters", (c) => c.getPidsForContainer(LONG_ID), /…\(10000 bytes\)/],
  ["Summary: an id of 10,000 characters", (c) => c.summary(LONG_ID), /…\(10000 bytes\)/],
  ["UpdateResources: a cpuset of CPUs the host lacks", (c, cid) => c.updateResources(cid, { cpusetCpus: "999" }), /^cpuset_cpus 999: this host has CPUs \S+ online/],
  ["UpdateResources: a cpuset of 5,000 characters", (c, cid) => c.updateResources(cid, { cpusetCpus: "0,".repeat(2500) }), /cpuset_cpus "(0,){32}"…\(5000 bytes\) is longer than the limit of 4096/],
  ["Delete: an id of 10,000 characters", (c) => c.delete(LONG_ID, { force: true }), /…\(10000 bytes\)/],
  ["Wait: an unknown condition", (c, cid) => c.wait(cid, { condition: 99 as WaitCondition }), /^condition 99 is no WaitCondition: give one of WAIT_CONDITION_UNSPECIFIED \(0\), WAIT_CONDITION_NOT_RUNNING \(1\)/],
  ["State: an id of 10,000 characters", (c) => c.state(LONG_ID), /…\(10000 bytes\)/],
  ["List: an unknown status", (c) => c.list({ statuses: [99 as Status] }), /^statuses entry 99 is no Status: give one of STATUS_CREATED \(1\), STATUS_RUNNING \(2\), STATUS_PAUSED \(3\), STATUS_STOPPED \(4\)/],
  ["List: 129 labels", (c) => c.list({ labels: Object.fromEntries(env(129).map((e) => e.split("="))) }), /labels has 129 entries/],
  ["Logs: a tail past its bound", (c, cid) => drain(c.logs(cid, { tail: 2_000_000 })), /tail 2000000 is out of range: give 1 to 1000000 lines, or 0 for all/],
  ["Logs: a process id of 10,000 characters", (c, cid) => drain(c.logs(cid, { processId: LONG_ID })), /…\(10000 bytes\)/],
  ["Attach: a process id of 10,000 characters", (c, cid) => drain(c.attach(cid, { processId: LONG_ID })), /…\(10000 bytes\)/],
  ["Subscribe: an unknown event type", async (c) => drain(c.subscribe({ types: [99 as EventType] })), /^types entry 99 is no EventType: give one of EVENT_TYPE_START_CONTAINER \(1\)/],
  ["Subscribe: a container id that is no id", async (c) => drain(c.subscribe({ containerIds: ["../x"] })), /invalid container id "\.\.\/x"/],
];

describe.each(["in-process", "over gRPC"])("bad input, %s", (how) => {
  let daemon: TestDaemon;
  let client: Client;
  let cid: string;

  beforeAll(async () => {
    daemon = await startTestDaemon(how === "in-process" ? "badin" : "badgrpc");
    const remote = how === "in-process" ? daemon.remote : await Remote.connect({ socketPath: daemon.socketPath });
    client = await remote.client(undefined, { namespace: daemon.namespace });
    cid = daemon.id("live");
    await client.create(cid, { process: { args: SLEEP } });
  });

  afterAll(async () => {
    await client?.delete(cid, { force: true }).catch(() => {});
    await client?.close();
    await daemon?.stop();
  });

  it.each(cases)("%s is INVALID_ARGUMENT saying what to fix", async (_rpc, call, message) => {
    const err = await failure(() => call(client, cid));
    expect(err.code, err.message).toBe("invalid_argument");
    expect(err.message).toMatch(message);
    expect(err.message.length).toBeLessThan(1024);
  });

  it("leaves nothing of the refused Creates behind", async () => {
    expect((await client.list()).map((c) => c.id)).toEqual([cid]);
  });

  // SignalProcess names its process: "init" is the container's first.
  it('SignalProcess "init" signals the init process', async () => {
    const id = daemon.id("init-sig");
    await client.create(id, { process: { args: SLEEP } });
    try {
      await client.signalProcess(id, "init", "KILL");
      expect((await client.wait(id)).exitCode).toBe(137);
    } finally {
      await client.delete(id, { force: true });
    }
  });
});
