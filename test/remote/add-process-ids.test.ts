// AddProcess's rule for process ids, as containers.proto states it on
// AddProcessRequest.process_id: an id no live process of the container has
// is taken; a running exec's id is ALREADY_EXISTS; an exited exec's id may
// be used again, and the new process replaces the old one's record and log;
// "init" is refused. Through the daemon, over gRPC.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { GrpcClient } from "../../src/client/grpc-client.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

let daemon: TestDaemon;
let client: GrpcClient;
const made: string[] = [];

beforeAll(async () => {
  daemon = await startTestDaemon("execids");
  client = await GrpcClient.connect({ socketPath: daemon.socketPath, namespace: daemon.namespace });
});

afterAll(async () => {
  for (const id of made) await client.delete(id, { force: true }).catch(() => {});
  await client?.close();
  await daemon?.stop();
});

const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (err: unknown) => (err instanceof BerthError ? err.code : String(err)));

async function linesOf(id: string, processId: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of client.logs(id, { processId })) lines.push(Buffer.from(l.line).toString());
  return lines;
}

describe("AddProcess process ids", () => {
  it("the doc states the rule", async () => {
    const proto = await readFile(new URL("../../proto/berth/v1/containers.proto", import.meta.url), "utf8");
    expect(proto).toContain("The id of an exec'd process that has exited may be used");
    expect(proto).toContain("replaces the old one's record and log");
  });

  it("a running exec's id is ALREADY_EXISTS; an exited one's is taken again, with a fresh record and log", async () => {
    const cid = daemon.id("c");
    made.push(cid);
    await client.create(cid, { process: { args: ["sleep", "60"] } });

    await client.addProcess(cid, "e0", { args: ["sleep", "60"] });
    expect(await codeOf(client.addProcess(cid, "e0", { args: ["true"] }))).toBe("already_exists");
    await client.signalProcess(cid, "e0", "KILL");
    expect((await client.wait(cid, { processId: "e0" })).exitCode).toBe(137);

    await client.addProcess(cid, "e0", { args: ["sh", "-c", "echo first; exit 3"] });
    expect((await client.wait(cid, { processId: "e0" })).exitCode).toBe(3);
    expect(await linesOf(cid, "e0")).toEqual(["first"]);

    await client.addProcess(cid, "e0", { args: ["sh", "-c", "echo second; exit 4"] });
    expect((await client.wait(cid, { processId: "e0" })).exitCode).toBe(4);
    // The old output is gone with the old record.
    expect(await linesOf(cid, "e0")).toEqual(["second"]);
    const execs = (await client.state(cid)).processes.filter((p) => p.id === "e0");
    expect(execs.map((p) => p.exitCode)).toEqual([4]);
  });

  it('"init" is never an exec\'s id', async () => {
    expect(await codeOf(client.addProcess(daemon.id("none"), "init", { args: ["true"] }))).toBe("invalid_argument");
  });
});
