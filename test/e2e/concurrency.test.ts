// Twenty containers at once, each created, exec'd into and deleted
// concurrently: every exit code and every event must come out right.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StateInfo } from "../../src/backend/backend.js";
import type { Client } from "../../src/client/client.js";
import { Remote } from "../../src/remote/remote.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const N = 20;

describe("20 containers in parallel over gRPC", () => {
  let daemon: TestDaemon;
  let client: Client;
  const events = new Map<string, string[]>();

  beforeAll(async () => {
    daemon = await startTestDaemon("conc");
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    client = await remote.client(
      {
        stateChanged(id: string, s: StateInfo) {
          const list = events.get(id) ?? [];
          list.push(`${s.state}:${s.processId}:${s.exitCode}`);
          events.set(id, list);
        },
      },
      { namespace: daemon.namespace },
    );
  });

  afterAll(async () => {
    for (const c of await client.list().catch(() => [])) await client.delete(c.id, { force: true }).catch(() => {});
    await client.close();
    await daemon.stop();
  });

  it("creates, execs and deletes each with its own exit codes and events", { timeout: 120_000 }, async () => {
    const ids = Array.from({ length: N }, (_, i) => daemon.id(`c${i}`));
    const results = await Promise.all(
      ids.map(async (id, i) => {
        await client.create(id, { process: { args: ["sh", "-c", `read x; exit ${i}`], stdin: true } });
        await client.addProcess(id, "probe", { args: ["sh", "-c", `exit ${(i + 7) % 256}`] });
        const execExit = await client.wait(id, { processId: "probe" });
        await client.signal(id, "KILL");
        const exit = await client.wait(id);
        const removed = await client.delete(id);
        return { execExit: execExit.exitCode, exit: exit.exitCode, removed: removed.exitCode };
      }),
    );
    results.forEach((r, i) => expect(r).toEqual({ execExit: (i + 7) % 256, exit: 137, removed: 137 }));
    await until(() => ids.every((id) => events.get(id)?.some((e) => e.startsWith("delete")) === true), "every delete event", 10_000);
    ids.forEach((id, i) =>
      expect(events.get(id)).toEqual([
        "create:init:0",
        "start-container:init:0",
        "start-process:probe:0",
        `exit-process:probe:${(i + 7) % 256}`,
        "exit:init:137",
        "delete:init:137",
      ]),
    );
    expect(await client.list()).toEqual([]);
  });
});
