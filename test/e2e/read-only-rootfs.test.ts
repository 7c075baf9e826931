// rootfs.read_only: the container runs on a root it cannot write to (EROFS
// inside), its bind mounts still work, the root filesystem it shares with
// other containers stays untouched, and Delete leaves nothing.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { Status } from "../../src/client/types.js";
import { leftovers } from "../durability/daemon-process.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

describe("a container with a read-only root filesystem", () => {
  let daemon: TestDaemon;
  let client: Client;
  let shared: string;

  beforeAll(async () => {
    daemon = await startTestDaemon("readonly", { serve: false });
    client = await daemon.remote.client(undefined, { namespace: daemon.namespace });
    shared = await mkdtemp(join(tmpdir(), "berth-readonly-data-"));
  });

  afterAll(async () => {
    await daemon.stop();
    await rm(shared, { recursive: true, force: true });
  });

  it("runs, leaves the shared root filesystem untouched, and Delete leaves nothing", { timeout: 30_000 }, async () => {
    const id = daemon.id("ro");
    const created = await client.create(id, {
      process: { args: ["sleep", "300"] },
      rootfs: { readOnly: true },
      mounts: [{ source: shared, destination: "/data-ro-test", readOnly: false }],
    });
    expect(created.status).toBe(Status.RUNNING);
    // The mount's destination is a folder runc made inside the root: it must
    // not have landed in the busybox root filesystem every container shares.
    expect(existsSync(join(daemon.stateDir, "rootfs", "busybox", "data-ro-test"))).toBe(false);
    await client.delete(id, { force: true });
    expect(leftovers(daemon)).toEqual([]);
  });

  it("fails a write to / with EROFS inside the container, while its bind mount takes writes", { timeout: 30_000 }, async () => {
    const id = daemon.id("ro");
    await client.create(id, {
      process: { args: ["sh", "-c", 'touch /x 2>&1 | grep -q "Read-only file system" && echo erofs > /data/result; exit 7'] },
      rootfs: { readOnly: true },
      mounts: [{ source: shared, destination: "/data", readOnly: false }],
    });
    const exit = await client.wait(id);
    expect(exit.exitCode).toBe(7);
    expect(await readFile(join(shared, "result"), "utf8")).toBe("erofs\n");
    expect(existsSync(join(daemon.stateDir, "rootfs", "busybox", "x"))).toBe(false);
    await client.delete(id);
    expect(leftovers(daemon)).toEqual([]);
  });
});
