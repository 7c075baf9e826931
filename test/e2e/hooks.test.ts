// OCI hooks against real runc, through both clients: each stage's hook (a
// real shell script on the host, or inside the container for
// start_container) runs at its point with the container's state on stdin,
// in the OCI order; a failing or hanging hook fails the Create with its
// words and leaves nothing behind; poststop hooks, which berth runs
// itself, run once after every run: a Stop, an exit of its own, a Delete.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StateInfo } from "../../src/backend/backend.js";
import type { Client } from "../../src/client/client.js";
import { RestartPolicy_Kind, Status } from "../../src/client/types.js";
import { Remote } from "../../src/remote/remote.js";
import { leftovers } from "../durability/daemon-process.js";
import { codeOf, messageOf } from "../fixtures/code-of.js";
import { makeHookScripts, type HookScripts } from "../fixtures/hook-scripts.js";
import { until } from "../fixtures/until.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

const encode = (spec: unknown) => new TextEncoder().encode(JSON.stringify(spec));

const kinds = [
  ["LocalClient", async (d: TestDaemon, backend: Parameters<Remote["client"]>[0]) => d.remote.client(backend, { namespace: d.namespace })],
  ["GrpcClient", async (d: TestDaemon, backend: Parameters<Remote["client"]>[0]) => (await Remote.connect({ socketPath: d.socketPath })).client(backend, { namespace: d.namespace })],
] as const;

describe.each(kinds)("OCI hooks through %s", (kind, connect) => {
  let daemon: TestDaemon;
  let client: Client;
  let h: HookScripts;
  const events: Array<{ id: string; state: StateInfo }> = [];
  const hookEvents = (id: string) => events.filter((e) => e.id === id && e.state.state === "hook-failed").map((e) => e.state);

  beforeAll(async () => {
    daemon = await startTestDaemon(`hooks${kind === "LocalClient" ? "l" : "g"}`);
    client = await connect(daemon, { stateChanged: (id, state) => void events.push({ id, state }) });
    h = await makeHookScripts("berth-hooks", daemon.stateDir);
  });

  afterAll(async () => {
    // A failed test's containers go before the leak check.
    for (const c of await client.list()) await client.delete(c.id, { force: true }).catch(() => {});
    await client.close();
    await h.remove();
    await daemon.stop();
  });

  const hook = (path: string, stage: string, log = h.log) => ({ path, args: [path.split("/").pop()!, stage, log] });

  it("runs every stage at its point, in order, with the container's state on stdin", { timeout: 40_000 }, async () => {
    const id = daemon.id("all");
    await h.clear();
    const created = await client.create(id, {
      process: { args: ["sh", "-c", 'echo "process {}" >> /hooks/log; while :; do sleep 0.1; done'] },
      mounts: [{ source: h.dir, destination: "/hooks" }],
      hooks: {
        prestart: [hook(h.record, "prestart")],
        createRuntime: [hook(h.record, "createRuntime")],
        createContainer: [hook(h.record, "createContainer")],
        // Inside the container, after pivot_root: the bind mount's view.
        startContainer: [{ path: "/hooks/record.sh", args: ["record.sh", "startContainer", "/hooks/log"] }],
        poststart: [hook(h.record, "poststart")],
        poststop: [hook(h.record, "poststop")],
      },
    });
    await until(async () => (await h.stages()).includes("process"), "the process to run");
    const before = await h.records();
    // runc 1.1 runs poststart at the end of create, before the process.
    expect(before.map((r) => r.stage).slice(0, 3)).toEqual(["prestart", "createRuntime", "createContainer"]);
    expect(before.map((r) => r.stage).slice(3).sort()).toEqual(["poststart", "process", "startContainer"]);
    expect(before.findIndex((r) => r.stage === "startContainer")).toBeLessThan(before.findIndex((r) => r.stage === "process"));
    const byStage = Object.fromEntries(before.map((r) => [r.stage, r.state]));
    for (const stage of ["prestart", "createRuntime", "createContainer", "startContainer", "poststart"]) {
      expect(byStage[stage]).toMatchObject({ id, bundle: created.bundle });
      expect(byStage[stage]!.pid).toBeGreaterThan(0);
    }
    expect(byStage["prestart"]).toMatchObject({ status: "creating", pid: created.pid });
    expect(byStage["createRuntime"]).toMatchObject({ status: "creating", pid: created.pid });
    expect(byStage["poststart"]).toMatchObject({ status: "created", pid: created.pid });
    expect(byStage["startContainer"]!.status).toBe("created");
    expect(before.some((r) => r.stage === "poststop")).toBe(false);

    const inspected = await client.inspect(id);
    expect(inspected.config.hooks?.prestart.map((x) => x.path)).toEqual([h.record]);
    expect(inspected.config.hooks?.poststop.map((x) => ({ path: x.path, args: x.args, timeoutSeconds: x.timeoutSeconds }))).toEqual([
      { path: h.record, args: ["record.sh", "poststop", h.log], timeoutSeconds: 60 },
    ]);
    // runc never sees poststop: berth runs it.
    expect(JSON.parse(new TextDecoder().decode(inspected.config.ociSpecJson)).hooks.poststop).toBeUndefined();

    await client.stop(id, { timeoutSeconds: 0 });
    await until(async () => (await h.stages()).includes("poststop"), "poststop after Stop");
    const poststop = (await h.records()).filter((r) => r.stage === "poststop");
    expect(poststop).toHaveLength(1);
    expect(poststop[0]!.state).toEqual({ ociVersion: expect.any(String), id, status: "stopped", bundle: created.bundle });
    await client.delete(id);
    // Once per run: Delete of the stopped container runs none again.
    expect((await h.records()).filter((r) => r.stage === "poststop")).toHaveLength(1);
  });

  it("runs poststop once per run: after an exit of its own, after each Start's run, after Delete's kill", { timeout: 40_000 }, async () => {
    const id = daemon.id("runs");
    await h.clear();
    await client.create(id, { process: { args: ["sh", "-c", "exit 5"] }, hooks: { prestart: [hook(h.record, "prestart")], poststop: [hook(h.record, "poststop")] } });
    expect((await client.wait(id)).exitCode).toBe(5);
    await until(async () => (await h.stages()).includes("poststop"), "poststop after the process exited");
    await client.start(id);
    await until(async () => (await h.stages()).filter((s) => s === "poststop").length === 2, "poststop after the second run");
    await client.update(id, { process: { args: ["sh", "-c", "while :; do sleep 0.1; done"] } });
    await client.start(id);
    await until(async () => (await h.stages()).filter((s) => s === "prestart").length === 3, "the third run");
    await client.delete(id, { force: true });
    // Delete waits for the run's poststop hooks, while the bundle is there.
    expect(await h.stages()).toEqual(["prestart", "poststop", "prestart", "poststop", "prestart", "poststop"]);
  });

  it("runs each restart's hooks, the last run's poststop before the next run's prestart", { timeout: 40_000 }, async () => {
    const id = daemon.id("policy");
    await h.clear();
    await client.create(id, {
      process: { args: ["sh", "-c", "exit 1"] },
      restartPolicy: { kind: RestartPolicy_Kind.ON_FAILURE, maxRetries: 2 },
      hooks: { prestart: [hook(h.record, "prestart")], poststop: [hook(h.record, "poststop")] },
    });
    await until(async () => (await h.stages()).length === 6, "three runs' hooks", 30_000);
    expect(await h.stages()).toEqual(["prestart", "poststop", "prestart", "poststop", "prestart", "poststop"]);
    await until(async () => (await client.state(id)).status === Status.STOPPED, "the policy to give up");
    await client.delete(id);
  });

  it("fails the Create with a failing prestart hook's path, exit code and stderr, runs poststop, and leaves nothing behind", { timeout: 30_000 }, async () => {
    const id = daemon.id("fail");
    await h.clear();
    const failing = client.create(id, {
      process: { args: ["true"] },
      hooks: { prestart: [hook(h.record, "prestart"), hook(h.fail, "prestart")], poststop: [hook(h.record, "poststop")] },
    });
    const message = await messageOf(failing);
    expect(message).toContain(`prestart hook #1 "${h.fail}"`);
    expect(message).toContain("exited with code 3");
    expect(message).toContain("hook says no: prestart is broken");
    expect(message).toContain("second line");
    // OCI: a failed prestart continues the lifecycle at delete, with poststop.
    expect(await h.stages()).toEqual(["prestart", "prestart", "poststop"]);
    expect(await codeOf(client.create(id, { process: { args: ["true"] }, hooks: { createRuntime: [hook(h.fail, "createRuntime")] } }))).toBe("failed_precondition");
    expect(leftovers(daemon)).toEqual([]);
    expect(await client.list()).toEqual([]);
  });

  it("fails the Create with a failing poststart or start_container hook, named by stage", { timeout: 30_000 }, async () => {
    const id = daemon.id("late");
    const poststart = await messageOf(client.create(id, { process: { args: ["true"] }, hooks: { poststart: [hook(h.fail, "poststart")] } }));
    expect(poststart).toMatch(new RegExp(`^poststart hook #0 "${h.fail}" failed: exited with code 3; stderr: hook says no: poststart is broken`));
    expect(leftovers(daemon)).toEqual([]);
    const inside = await messageOf(
      client.create(id, {
        process: { args: ["true"] },
        mounts: [{ source: h.dir, destination: "/hooks" }],
        hooks: { startContainer: [{ path: "/hooks/fail.sh", args: ["fail.sh", "startContainer", "/hooks/log"] }] },
      }),
    );
    expect(inside).toContain('startContainer hook #0 "/hooks/fail.sh" failed: exited with code 3');
    expect(inside).toContain("hook says no: startContainer is broken");
    const missing = await messageOf(client.create(id, { process: { args: ["true"] }, hooks: { startContainer: [{ path: "/no/such/hook" }] } }));
    expect(missing).toContain('startContainer hook #0 "/no/such/hook" failed');
    expect(missing).toContain("no such file or directory");
    expect(leftovers(daemon)).toEqual([]);
    expect(await client.list()).toEqual([]);
  });

  it("fails a Start whose prestart hook fails, leaving the container stopped as it was", { timeout: 30_000 }, async () => {
    const id = daemon.id("start");
    const gate = join(h.dir, `gate-${kind[0]}`);
    const picky = join(h.dir, `p${kind[0]}.sh`);
    await writeFile(picky, `#!/bin/sh\nif [ -e "${gate}" ]; then echo "refused by the gate" >&2; exit 4; fi\n`, { mode: 0o755 });
    await h.clear();
    await client.create(id, { process: { args: ["true"] }, hooks: { prestart: [{ path: picky }], poststop: [hook(h.record, "poststop")] } });
    await until(async () => (await h.stages()).length === 1, "the first run's poststop");
    await writeFile(gate, "");
    const refused = client.start(id);
    expect(await messageOf(refused)).toBe(`prestart hook #0 "${picky}" failed: exited with code 4; stderr: refused by the gate`);
    expect(await codeOf(client.start(id))).toBe("failed_precondition");
    const state = await client.state(id);
    expect(state.status).toBe(Status.STOPPED);
    expect(state.exitCode).toBe(0);
    // Each failed run's poststop ran too, after the first run's.
    expect(await h.stages()).toEqual(["poststop", "poststop", "poststop"]);
    await rm(gate);
    await client.start(id);
    await until(async () => (await h.stages()).length === 4, "the next run's poststop");
    await client.delete(id);
    expect(leftovers(daemon)).toEqual([]);
  });

  it("kills a hook that runs past its timeout and fails the Create", { timeout: 30_000 }, async () => {
    const id = daemon.id("slow");
    const began = Date.now();
    const message = await messageOf(client.create(id, { process: { args: ["true"] }, hooks: { createRuntime: [{ path: h.hang, timeoutSeconds: 1 }] } }));
    expect(message).toBe(`createRuntime hook #0 "${h.hang}" failed: ran past its timeout of 1 s and was killed`);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(leftovers(daemon)).toEqual([]);
  });

  it("reports a failing poststop hook as a hook-failed event and still runs the next one", { timeout: 30_000 }, async () => {
    const id = daemon.id("postfail");
    await h.clear();
    await client.create(id, { process: { args: ["true"] }, hooks: { poststop: [hook(h.fail, "poststop"), hook(h.record, "poststop")] } });
    await until(() => hookEvents(id).length === 1, "the hook-failed event");
    const [failed] = hookEvents(id);
    expect(failed).toMatchObject({ hookStage: "poststop", processId: "init" });
    expect(failed!.hookMessage).toMatch(new RegExp(`^poststop hook #0 "${h.fail}" exited with code 3; stderr: hook says no: poststop is broken\\nsecond line$`));
    await until(async () => (await h.stages()).length === 2, "both poststop hooks");
    expect((await client.state(id)).status).toBe(Status.STOPPED);
    await client.delete(id);
  });

  it("refuses a hook that is not an absolute path to an executable file, or has a timeout out of range", async () => {
    const id = daemon.id("bad");
    const plain = join(h.dir, "plain.txt");
    await writeFile(plain, "not a program");
    const bad: Array<[unknown, string]> = [
      [{ prestart: [{ path: "record.sh" }] }, "hooks.prestart[0].path"],
      [{ poststop: [{ path: "/no/such/hook" }] }, "does not exist"],
      [{ createRuntime: [{ path: plain }] }, "is not executable"],
      [{ poststart: [{ path: h.dir }] }, "is not a file"],
      [{ prestart: [{ path: h.record, timeoutSeconds: 0 }] }, "from 1 to 3600"],
      [{ prestart: [{ path: h.record, timeoutSeconds: 3601 }] }, "from 1 to 3600"],
      [{ prestart: [{ path: h.record, env: ["NOEQUALS"] }] }, "KEY=VALUE"],
      [{ prestart: Array.from({ length: 65 }, () => ({ path: h.record })) }, "over the limit of 64"],
    ];
    for (const [hooks, words] of bad) {
      const p = client.create(id, { process: { args: ["true"] }, hooks: hooks as never });
      expect(await messageOf(p)).toContain(words);
      expect(await codeOf(client.create(id, { process: { args: ["true"] }, hooks: hooks as never }))).toBe("invalid_argument");
    }
    const spec = (hooks: unknown) => ({ ociSpecJson: encode({ process: { args: ["true"] }, mounts: [{ destination: "/proc", type: "proc", source: "proc" }], linux: { namespaces: [{ type: "mount" }, { type: "pid" }] }, hooks }) });
    expect(await messageOf(client.create(id, spec({ poststop: [{ path: "/no/such/hook" }] })))).toContain("oci_spec_json: /hooks/poststop/0/path");
    expect(await messageOf(client.create(id, spec({ prestart: [{ path: h.record, timeout: 7200 }] })))).toContain("from 1 to 3600");
    expect(leftovers(daemon)).toEqual([]);
  });

  it("runs the hooks of an oci_spec_json, poststop included, before the request's", { timeout: 30_000 }, async () => {
    const id = daemon.id("spec");
    await h.clear();
    const spec = {
      process: { args: ["/bin/true"] },
      mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
      linux: { namespaces: [{ type: "mount" }, { type: "pid" }] },
      hooks: { prestart: [hook(h.record, "spec-prestart")], poststop: [hook(h.record, "spec-poststop")] },
    };
    await client.create(id, { ociSpecJson: encode(spec), hooks: { prestart: [hook(h.record, "prestart")] } });
    await until(async () => (await h.stages()).includes("spec-poststop"), "the spec's poststop hook");
    expect(await h.stages()).toEqual(["spec-prestart", "prestart", "spec-poststop"]);
    await client.delete(id);
  });
});
