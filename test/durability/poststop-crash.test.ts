// Poststop hooks across daemon crashes: a container that exits while its
// daemon is SIGKILLed has its poststop hooks run by the next daemon, at
// restore; and hooks owed when a daemon is killed while they run are run
// again by the next one, since the record says they never finished.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { Status } from "../../src/client/types.js";
import { makeHookScripts, type HookScripts } from "../fixtures/hook-scripts.js";
import { until } from "../fixtures/until.js";
import { builtDist, DaemonProcess, daemonPlace, finish, leftovers, type DaemonPlace } from "./daemon-process.js";

describe("poststop hooks across daemon crashes", { timeout: 90_000 }, () => {
  let place: DaemonPlace;
  let daemon: DaemonProcess | undefined;
  let h: HookScripts;

  beforeAll(async () => {
    place = daemonPlace("hookcrash");
    await builtDist();
    h = await makeHookScripts("berth-hookcrash");
  }, 180_000);

  afterAll(async () => {
    await h.remove();
    await finish(place, daemon);
  });

  async function killAndRestart(client: Client): Promise<Client> {
    await client.close().catch(() => {});
    await daemon!.kill("SIGKILL");
    daemon = await DaemonProcess.start(place);
    return daemon.client();
  }

  it("runs the poststop hooks of a run that ended while the daemon was down, once", async () => {
    daemon = await DaemonProcess.start(place);
    let client = await daemon.client();
    const id = place.id("down");
    await h.clear();
    const gate = join(h.dir, "go-down");
    await client.create(id, {
      process: { args: ["sh", "-c", "while [ ! -e /hooks/go-down ]; do sleep 0.05; done; exit 7"] },
      mounts: [{ source: h.dir, destination: "/hooks" }],
      hooks: { poststop: [{ path: h.record, args: ["record.sh", "poststop", h.log] }] },
    });
    await client.close();
    await daemon.kill("SIGKILL");
    await writeFile(gate, "");
    // conmon, which outlives the daemon, records the exit.
    await until(async () => (await readFile(join(place.stateDir, "exits", place.namespace, id), "utf8").catch(() => "")) !== "", "the exit file");
    expect(await h.stages()).toEqual([]);
    daemon = await DaemonProcess.start(place);
    client = await daemon.client();
    await until(async () => (await h.stages()).length > 0, "poststop at restore", 10_000);
    const state = await client.state(id);
    expect(state.status).toBe(Status.STOPPED);
    expect(state.exitCode).toBe(7);
    expect(await h.records()).toEqual([{ stage: "poststop", state: { ociVersion: expect.any(String), id, status: "stopped", bundle: state.bundle } }]);
    // Once: neither another restart nor the Delete runs them again.
    client = await killAndRestart(client);
    await client.delete(id);
    expect(await h.stages()).toEqual(["poststop"]);
    await client.close();
    expect(leftovers(place)).toEqual([]);
  });

  it("runs again the poststop hooks a daemon was killed in the middle of", async () => {
    daemon ??= await DaemonProcess.start(place);
    let client = await daemon.client();
    const id = place.id("midway");
    await h.clear();
    const gate = join(h.dir, "gate");
    // The hook says it began (with its pid), then waits for the gate.
    const slow = join(h.dir, "slow.sh");
    await writeFile(slow, `#!/bin/sh\nIFS= read -r state; printf "began %s\\n" "$$" >> "$1"; while [ ! -e "$2" ]; do /bin/sleep 0.05; done; printf "done %s\\n" "$state" >> "$1"\n`, { mode: 0o755 });
    await client.create(id, { process: { args: ["true"] }, hooks: { poststop: [{ path: slow, args: ["slow.sh", h.log, gate] }] } });
    await until(async () => (await h.stages()).includes("began"), "the hook to begin");
    client = await killAndRestart(client);
    // The first daemon's hook is an orphan now; it must not finish the job.
    const orphan = Number((await readFile(h.log, "utf8")).split("\n")[0]!.split(" ")[1]);
    process.kill(orphan, "SIGKILL");
    await writeFile(gate, "");
    await until(async () => (await h.stages()).includes("done"), "the next daemon to run the hook again", 10_000);
    expect(await h.stages()).toEqual(["began", "began", "done"]);
    await client.delete(id);
    await client.close();
    expect(leftovers(place)).toEqual([]);
  });
});
