// A user-namespaced container on a bridge network is refused before
// anything is made: the daemon makes a bridge container's network
// namespace before runc, owned by the host's user namespace, and runc
// 1.1.5 could start such a container but never exec into it (see
// checkUsernsNetwork). Network none works (the contract suites), and so
// does host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { UsernsMode } from "../../src/gen/berth/v1/security_pb.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { run, startNetDaemon, type NetDaemon } from "../network/net-fixture.js";

// Apart from the other userns suites' ranges (userns-contract.ts).
const RANGE = "1700000000:131072";
const AUTO = { userns: { mode: UsernsMode.AUTO } };

describe("user namespaces and a daemon whose default network is a bridge", { timeout: 60_000 }, () => {
  let d: NetDaemon;
  let client: Client;
  const made: string[] = [];

  beforeAll(async () => {
    d = await startNetDaemon("uns-bridge", { serve: false, subuidRange: RANGE });
    client = await d.td.remote.client(undefined, { namespace: d.td.namespace });
  });

  afterAll(async () => {
    for (const id of made) await client.delete(id, { force: true }).catch(() => {});
    await client.close();
    await d.stop();
  });

  it("refuses userns on the bridge with INVALID_ARGUMENT naming network none or host, and leaves nothing", async () => {
    const id = d.td.id("bridge");
    const create = () => client.create(id, { security: AUTO, process: { args: ["sleep", "30"] } });
    expect(await messageOf(create())).toMatch(/needs network none or host/);
    expect(await codeOf(create())).toBe("invalid_argument");
    expect((await client.list()).map((c) => c.id)).not.toContain(id);
  });

  it("runs the same request with network host, and exec joins it", async () => {
    const id = d.td.id("host");
    made.push(id);
    await client.create(id, { security: AUTO, network: "host", process: { args: ["sleep", "30"] } });
    const inside = await run(client, id, ["sh", "-c", "id -u; cat /proc/self/uid_map"]);
    expect(inside.exitCode).toBe(0);
    expect(inside.output).toMatch(/^0\n\s*0\s+1700000000\s+65536/);
    await client.delete(id, { force: true });
    made.pop();
  });
});
