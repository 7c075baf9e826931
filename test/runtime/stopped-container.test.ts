// Deleting a stopped runc container without runc: when removeStoppedContainer
// may act, and when it leaves the job to `runc delete --force` (returns
// false, touching nothing). Its removal of real cgroups and state is
// covered by every Delete of the contract suites, whose daemons fail on any
// cgroup or runc state left behind (test/helpers/test-daemon.ts).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readProcStat } from "../../src/runtime/proc-stat.js";
import { removeStoppedContainer } from "../../src/runtime/stopped-container.js";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-stopped-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const self = () => ({ pid: process.pid, start: readProcStat(process.pid)!.startTime });

// stateFolder writes a state.json shaped as runc 1.1 writes it.
async function stateFolder(o: { pid: number; start: number; pidNs?: { path: string }; systemd?: boolean; poststop?: number; cgroups?: Record<string, string> }): Promise<string> {
  const dir = join(root, `c${++n}`);
  await mkdir(dir, { recursive: true });
  const state = {
    id: `c${n}`,
    init_process_pid: o.pid,
    init_process_start: o.start,
    cgroup_paths: o.cgroups ?? { memory: `/sys/fs/cgroup/memory/berth-no-such-test-cgroup-${process.pid}/c${n}` },
    intel_rdt_path: "",
    config: {
      namespaces: [{ type: "NEWPID", path: o.pidNs?.path ?? "" }, { type: "NEWNS", path: "" }],
      cgroups: { Systemd: o.systemd ?? false },
      Hooks: { poststop: Array.from({ length: o.poststop ?? 0 }, () => ({ path: "/bin/true" })) },
    },
  };
  await writeFile(join(dir, "state.json"), JSON.stringify(state));
  return dir;
}

describe("removeStoppedContainer", () => {
  it("removes the state folder of a container whose init has ended and whose cgroups are gone", async () => {
    // A pid with another start time is another process: the init ended.
    const dir = await stateFolder({ pid: process.pid, start: self().start + 1 });
    expect(await removeStoppedContainer(dir)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    ["its init still runs", () => stateFolder(self())],
    ["it shares another pid namespace", () => stateFolder({ pid: 1 << 30, start: 1, pidNs: { path: "/proc/1/ns/pid" } })],
    ["its cgroups are systemd's", () => stateFolder({ pid: 1 << 30, start: 1, systemd: true })],
    ["runc would run poststop hooks", () => stateFolder({ pid: 1 << 30, start: 1, poststop: 1 })],
    ["a cgroup path is outside /sys/fs/cgroup", () => stateFolder({ pid: 1 << 30, start: 1, cgroups: { memory: "/tmp/elsewhere" } })],
  ])("leaves it to runc when %s", async (_why, make) => {
    const dir = await make();
    expect(await removeStoppedContainer(dir)).toBe(false);
    expect(existsSync(join(dir, "state.json"))).toBe(true);
  });

  it("leaves it to runc when there is no state.json it can read", async () => {
    const dir = join(root, "torn");
    await mkdir(dir);
    await writeFile(join(dir, "state.json"), "{");
    expect(await removeStoppedContainer(dir)).toBe(false);
    expect(await removeStoppedContainer(join(root, "no-such-container"))).toBe(false);
  });
});
