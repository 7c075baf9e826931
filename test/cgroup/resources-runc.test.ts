// Memory reservation, cpus and blkio weight on real runc containers, through
// the in-process client and over gRPC: Create puts each into the container's
// cgroup files and Stats shows it; UpdateResources changes it live; a
// client's mistake is INVALID_ARGUMENT and a host that cannot weigh block
// I/O is FAILED_PRECONDITION, never INTERNAL.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { findCgroupPaths } from "../../src/cgroup/cgroup-paths.js";
import type { Client } from "../../src/client/client.js";
import { Remote } from "../../src/remote/remote.js";
import { checkBlockIoWeightOnHost } from "../../src/spec/block-io-weight.js";
import { onlineCpuCount } from "../../src/spec/cpu-fraction.js";
import type { OciSpec } from "../../src/spec/oci-spec.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const MIB = 1n << 20n;
const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"];
// The kernel's "no limit" in a v1 soft limit (PAGE_COUNTER_MAX pages).
const V1_NONE = "9223372036854771712";

let daemon: TestDaemon;
const clients: Record<string, Client> = {};
const made: string[] = [];
let canWeigh: boolean;

beforeAll(async () => {
  daemon = await startTestDaemon("resources");
  clients["LocalClient"] = await daemon.remote.client(undefined, { namespace: daemon.namespace });
  clients["GrpcClient"] = await (await Remote.connect({ socketPath: daemon.socketPath })).client(undefined, { namespace: daemon.namespace });
  canWeigh = await checkBlockIoWeightOnHost("blkio_weight", 500).then(
    () => true,
    () => false,
  );
});

afterAll(async () => {
  const client = clients["LocalClient"];
  for (const cid of made) await client?.delete(cid, { force: true }).catch(() => {});
  for (const c of Object.values(clients)) await c.close();
  await daemon?.stop();
});

// cgroupOf reads a container's limits from its own cgroup files, v1 or v2.
function cgroupOf(pid: number) {
  const paths = findCgroupPaths(pid);
  const read = (dir: string | undefined, file: string) => readFileSync(join(dir!, file), "utf8").trim();
  const mem = paths.controllers["memory"];
  const cpu = paths.controllers["cpu"];
  const blkio = paths.controllers["blkio"];
  return {
    reservation: () => {
      const value = mem !== undefined ? read(mem, "memory.soft_limit_in_bytes") : read(paths.unified, "memory.low");
      return value === V1_NONE || value === "0" ? "none" : value;
    },
    cpuMax: () => (cpu !== undefined ? `${read(cpu, "cpu.cfs_quota_us")} ${read(cpu, "cpu.cfs_period_us")}` : read(paths.unified, "cpu.max")),
    weight: () => {
      for (const [dir, file] of [[blkio, "blkio.weight"], [blkio, "blkio.bfq.weight"], [paths.unified, "io.bfq.weight"], [paths.unified, "io.weight"]] as const) {
        if (dir !== undefined) {
          try {
            return read(dir, file).replace(/^default /, "").split("\n")[0];
          } catch {
            // not this kernel's file
          }
        }
      }
      return undefined;
    },
  };
}

function specOf(cid: string): OciSpec {
  return JSON.parse(readFileSync(join(daemon.stateDir, "containers", daemon.namespace, cid, "bundle", "config.json"), "utf8")) as OciSpec;
}

describe.each(["LocalClient", "GrpcClient"])("resources through %s", (name) => {
  const client = () => clients[name]!;
  const id = (n: string) => {
    const cid = daemon.id(`${name === "LocalClient" ? "l" : "g"}-${n}`);
    made.push(cid);
    return cid;
  };

  it("creates a container with a memory reservation and a cpus limit, shown in its cgroup and Stats, and updates them live", async () => {
    const cid = id("resv");
    const c = await client().create(cid, { process: { args: SLEEP }, resources: { memoryLimitBytes: 64n * MIB, memoryReservationBytes: 32n * MIB, cpus: 0.5 } });
    const cg = cgroupOf(c.pid);
    expect(cg.reservation()).toBe(String(32n * MIB));
    expect(cg.cpuMax()).toBe("50000 100000");
    expect(specOf(cid).linux?.resources).toMatchObject({ memory: { limit: Number(64n * MIB), reservation: Number(32n * MIB) }, cpu: { quota: 50_000, period: 100_000 } });
    const before = await client().stats(cid);
    expect(before.memory?.reservationBytes).toBe(32n * MIB);
    expect(before.cpu?.limitCpus).toBe(0.5);

    const cpus = Math.min(1.5, onlineCpuCount());
    await client().updateResources(cid, { memoryReservationBytes: 48n * MIB, cpus });
    expect(cg.reservation()).toBe(String(48n * MIB));
    expect(cg.cpuMax()).toBe(`${cpus * 100_000} 100000`);
    const after = await client().stats(cid);
    expect(after.memory?.reservationBytes).toBe(48n * MIB);
    expect(after.cpu?.limitCpus).toBe(cpus);
    expect(specOf(cid).linux?.resources).toMatchObject({ memory: { reservation: Number(48n * MIB) }, cpu: { quota: cpus * 100_000, period: 100_000 } });

    // -1 removes the reservation; a plain quota removes what cpus set.
    await client().updateResources(cid, { memoryReservationBytes: -1n, cpuQuotaUs: -1n });
    expect(cg.reservation()).toBe("none");
    expect(cg.cpuMax()).toMatch(/^(-1|max) 100000$/);
    const cleared = await client().stats(cid);
    expect(cleared.memory?.reservationBytes).toBe(0n);
    expect(cleared.cpu?.limitCpus).toBe(0);
    expect(specOf(cid).linux?.resources?.memory).toEqual({ limit: Number(64n * MIB) });
  });

  it("refuses, changing nothing, a reservation above the container's limit and a limit below its reservation", async () => {
    const cid = id("resv-bad");
    const c = await client().create(cid, { process: { args: SLEEP }, resources: { memoryLimitBytes: 64n * MIB, memoryReservationBytes: 32n * MIB } });
    const cg = cgroupOf(c.pid);
    const high = client().updateResources(cid, { memoryReservationBytes: 96n * MIB });
    expect(await messageOf(high)).toBe(`memory_reservation_bytes ${96n * MIB} is more than the container's memory_limit_bytes ${64n * MIB}: give at most ${64n * MIB}, or raise memory_limit_bytes with it`);
    expect(await codeOf(client().updateResources(cid, { memoryLimitBytes: 16n * MIB, pidsLimit: 5n }))).toBe("invalid_argument");
    expect(cg.reservation()).toBe(String(32n * MIB));
    expect((await client().stats(cid)).pids?.limit).toBe(0n);
    // Both at once move together.
    await client().updateResources(cid, { memoryLimitBytes: 16n * MIB, memoryReservationBytes: 8n * MIB });
    expect(cg.reservation()).toBe(String(8n * MIB));
  });

  it("refuses bad values on Create as INVALID_ARGUMENT before runc is asked", async () => {
    const cid = id("bad");
    const create = (resources: Record<string, unknown>) => client().create(cid, { process: { args: SLEEP }, resources });
    expect(await messageOf(create({ memoryLimitBytes: 32n * MIB, memoryReservationBytes: 64n * MIB }))).toMatch(
      /^memory_reservation_bytes 67108864 is more than memory_limit_bytes 33554432/,
    );
    expect(await messageOf(create({ cpus: 0.5, cpuQuotaUs: 50_000n }))).toMatch(/^cpus cannot be given with cpu_quota_us or cpu_period_us/);
    const online = onlineCpuCount();
    expect(await messageOf(create({ cpus: online + 1 }))).toBe(`cpus ${online + 1} is more than this host has: the host has ${online} CPUs online; give at most ${online}`);
    for (const cpus of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(await codeOf(create({ cpus }))).toBe("invalid_argument");
    expect(await messageOf(create({ blkioWeight: 5 }))).toBe("blkio_weight 5 is out of range: give a relative weight from 10 to 1000");
    expect(await codeOf(client().state(cid))).toBe("not_found");
  });

  it("sets a blkio weight where the kernel has a weight file, and refuses it as FAILED_PRECONDITION where not", async () => {
    const cid = id("weight");
    if (canWeigh) {
      const c = await client().create(cid, { process: { args: SLEEP }, resources: { blkioWeight: 300 } });
      expect(cgroupOf(c.pid).weight()).toBeDefined();
      expect((await client().stats(cid)).blockIo?.weight).toBe(300);
      await client().updateResources(cid, { blkioWeight: 600 });
      expect((await client().stats(cid)).blockIo?.weight).toBe(600);
      return;
    }
    const refused = client().create(cid, { process: { args: SLEEP }, resources: { blkioWeight: 300 } });
    expect(await messageOf(refused)).toMatch(/^resources\.blkio_weight 300: this host cannot weigh block I\/O: its cgroups have no blkio\.weight or blkio\.bfq\.weight/);
    expect(await codeOf(client().create(cid, { process: { args: SLEEP }, resources: { blkioWeight: 300 } }))).toBe("failed_precondition");
    expect(await codeOf(client().state(cid))).toBe("not_found");
    const c = await client().create(cid, { process: { args: SLEEP } });
    expect(cgroupOf(c.pid).weight()).toBeUndefined();
    expect((await client().stats(cid)).blockIo?.weight).toBe(0);
    const update = client().updateResources(cid, { blkioWeight: 300, memoryReservationBytes: 8n * MIB });
    expect(await codeOf(update)).toBe("failed_precondition");
    expect(cgroupOf(c.pid).reservation()).toBe("none");
    expect(specOf(cid).linux?.resources?.blockIO).toBeUndefined();
  });
});
