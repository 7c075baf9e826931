// The daemon's own parts of Info: how containers are counted, and the
// state directory's id.
import { create } from "@bufbuild/protobuf";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ContainerSchema, Status } from "../../src/client/types.js";
import { loadDaemonId } from "../../src/remote/daemon-id.js";
import { countContainers } from "../../src/remote/daemon-info.js";

describe("countContainers", () => {
  it("counts created, stopped and restarting ones as stopped, as docker info does", () => {
    const of = (...statuses: Status[]) => statuses.map((status, i) => create(ContainerSchema, { id: `c${i}`, status }));
    expect(countContainers(of(Status.RUNNING, Status.RUNNING, Status.PAUSED, Status.CREATED, Status.STOPPED, Status.RESTARTING))).toEqual({
      containers: 6,
      containersRunning: 2,
      containersPaused: 1,
      containersStopped: 3,
    });
    expect(countContainers([])).toEqual({ containers: 0, containersRunning: 0, containersPaused: 0, containersStopped: 0 });
  });
});

describe("loadDaemonId", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-daemon-id-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("makes an id once and keeps it", async () => {
    const id = await loadDaemonId(dir);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await loadDaemonId(dir)).toBe(id);
    expect(await readFile(join(dir, "daemon-id"), "utf8")).toBe(`${id}\n`);
  });

  it("keeps an id written by hand, and replaces an empty one", async () => {
    await writeFile(join(dir, "daemon-id"), "  my-daemon \n");
    expect(await loadDaemonId(dir)).toBe("my-daemon");
    await writeFile(join(dir, "daemon-id"), "");
    const fresh = await loadDaemonId(dir);
    expect(fresh).not.toBe("");
    expect(await loadDaemonId(dir)).toBe(fresh);
  });
});
