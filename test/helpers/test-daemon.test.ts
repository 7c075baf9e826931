// The leak check of the test daemon is itself under test: a check that
// cleans up before it looks can never fire, which is how failed-Create
// mount leaks once went unseen. Each leak here is made on purpose; stop()
// must fail naming it, and must still leave nothing behind.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { until } from "../fixtures/until.js";
import { findLeaks, startTestDaemon, type TestDaemon } from "./test-daemon.js";

const SLEEP = ["sh", "-c", "while true; do sleep 0.1; done"];

describe("the test daemon's leak check", () => {
  // Every daemon a test starts, so a test that fails midway is still cleaned up.
  const started: TestDaemon[] = [];
  const start = async (suite: string) => {
    const d = await startTestDaemon(suite, { serve: false });
    started.push(d);
    return d;
  };

  afterEach(async () => {
    for (const d of started.splice(0)) await d.stop().catch(() => {});
  });

  const expectGone = (d: TestDaemon) => {
    expect(findLeaks(d.stateDir, d.cgroupParent)).toEqual([]);
    expect(existsSync(d.stateDir)).toBe(false);
  };

  it("passes a suite that deleted every container it made, and removes its state directory", async () => {
    const d = await start("leakok");
    const client = await d.remote.client(undefined, { namespace: d.namespace });
    const cid = d.id("c");
    await client.create(cid, { process: { args: ["true"] } });
    await client.wait(cid);
    await client.delete(cid);
    await client.close();
    await d.stop();
    expectGone(d);
  });

  it("fails a suite that left a tmpfs mounted under its state directory, naming it, and unmounts it", async () => {
    const d = await start("leakmount");
    const target = join(d.stateDir, "stray-mount");
    mkdirSync(target);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", target]);
    await expect(d.stop()).rejects.toThrow(new RegExp(`mount ${escape(target)}`));
    expectGone(d);
  });

  it("fails a suite that left a container running, naming its mount, cgroup, monitor, folder and runc state, and removes them all", async () => {
    const d = await start("leakctr");
    const client = await d.remote.client(undefined, { namespace: d.namespace });
    const cid = d.id("left");
    await client.create(cid, { process: { args: SLEEP } });
    await client.close();
    const message = await messageOf(d.stop());
    expect(message).toContain("the suite leaked");
    expect(message).toMatch(new RegExp(`mount ${escape(d.stateDir)}/containers/${d.namespace}/${cid}/bundle/rootfs`));
    expect(message).toMatch(new RegExp(`cgroup ${escape(d.cgroupParent)}/${d.namespace}/${cid} in .*\\bpids\\b.*; pids \\d+`));
    expect(message).toMatch(/process \d+: \S*conmon /);
    expect(message).toContain(`container folder containers/${d.namespace}/${cid}`);
    expect(message).toContain(`runc state runc/${d.namespace}/${cid}`);
    expectGone(d);
  });

  it("fails a suite that left a cgroup under its parent or a process working in its state directory", async () => {
    const d = await start("leakmisc");
    const cgroup = join("/sys/fs/cgroup/pids", d.cgroupParent, "stray");
    mkdirSync(cgroup, { recursive: true });
    writeFileSync(join(d.stateDir, "followed"), "");
    const child = spawn("tail", ["-f", join(d.stateDir, "followed")], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await until(() => child.pid !== undefined, "tail to start");
    const message = await messageOf(d.stop());
    expect(message).toContain(`cgroup ${d.cgroupParent}/stray in pids\n`);
    expect(message).toMatch(new RegExp(`process ${child.pid}: tail -f ${escape(d.stateDir)}/followed`));
    await exited;
    expect(existsSync(join("/sys/fs/cgroup/pids", d.cgroupParent))).toBe(false);
    expectGone(d);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// messageOf is the message a promise rejects with; it fails if it resolves.
async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected stop() to fail");
}
