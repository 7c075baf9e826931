// berth under systemd: `berth serve` speaks sd_notify (READY=1 once the
// socket answers, STOPPING=1 when a stop begins), which the shipped unit's
// Type=notify waits for, and contrib/berth.service is a unit systemd accepts.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import unixSocket from "node-unix-socket";
import { afterEach, describe, expect, it } from "vitest";

import { until } from "../fixtures/until.js";
import { checkThenRemove } from "../helpers/test-daemon.js";
import { BERTH_BIN, startBerth } from "./berth-cli.js";

const UNIT = resolve(import.meta.dirname, "../../contrib/berth.service");

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("berth under systemd", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("tells NOTIFY_SOCKET READY=1 only once its socket answers, and STOPPING=1 on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-sd-notify-"));
    const stateDir = join(dir, "state");
    const socketPath = join(dir, "berth.sock");
    const cgroupParent = `/berth-test-sd-notify-${process.pid}`;
    const notifySocket = join(dir, "notify");
    const received: string[] = [];
    const notify = new unixSocket.DgramSocket();
    notify.bind(notifySocket);
    // Whether the daemon's socket answered when READY=1 came: systemd starts
    // dependent units at that moment.
    let answeredAtReady: Promise<boolean> | undefined;
    notify.on("data", (data: Buffer) => {
      const message = data.toString();
      if (message === "READY=1") answeredAtReady = answers(socketPath);
      received.push(message);
    });
    cleanups.push(async () => {
      notify.close();
      await checkThenRemove(stateDir, cgroupParent);
      await rm(dir, { recursive: true, force: true });
    });

    const serve = startBerth(["serve", "--state-dir", stateDir, "--socket", socketPath, "--cgroup-parent", cgroupParent], { NOTIFY_SOCKET: notifySocket });
    cleanups.push(async () => {
      if (serve.process.exitCode === null && serve.process.signalCode === null) serve.process.kill("SIGKILL");
      await serve.exited;
    });
    await until(() => received.includes("READY=1"), () => `READY=1 on NOTIFY_SOCKET; got ${JSON.stringify(received)}, stderr: ${serve.stderr()}`, 30_000);
    expect(await answeredAtReady).toBe(true);
    expect(serve.stdout()).toContain(`berth: serving on ${socketPath}`);

    serve.process.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
    expect(received).toEqual(["READY=1", "STOPPING=1"]);
  });

  it("serves as usual when no NOTIFY_SOCKET is set", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-sd-none-"));
    const stateDir = join(dir, "state");
    const socketPath = join(dir, "berth.sock");
    const cgroupParent = `/berth-test-sd-none-${process.pid}`;
    cleanups.push(async () => {
      await checkThenRemove(stateDir, cgroupParent);
      await rm(dir, { recursive: true, force: true });
    });
    const env = { NOTIFY_SOCKET: "" };
    const serve = startBerth(["serve", "--state-dir", stateDir, "--socket", socketPath, "--cgroup-parent", cgroupParent], env);
    cleanups.push(async () => {
      if (serve.process.exitCode === null && serve.process.signalCode === null) serve.process.kill("SIGKILL");
      await serve.exited;
    });
    await until(() => serve.stdout().includes("serving on"), () => `serving; stderr: ${serve.stderr()}`, 30_000);
    serve.process.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).not.toContain("cannot tell systemd");
  });

  it.skipIf(!existsSync("/usr/bin/systemd-analyze"))("ships contrib/berth.service as a Type=notify unit that systemd-analyze verifies", async () => {
    const unit = readFileSync(UNIT, "utf8");
    expect(unit).toMatch(/^Type=notify$/m);
    // KillMode=process: stopping berth must leave containers running.
    expect(unit).toMatch(/^KillMode=process$/m);
    const dir = await mkdtemp(join(tmpdir(), "berth-unit-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // verify checks that ExecStart's program exists; point it at this checkout's.
    const local = unit.replace(/^ExecStart=\S+/m, `ExecStart=${BERTH_BIN}`);
    writeFileSync(join(dir, "berth.service"), local);
    const out = execFileSync("systemd-analyze", ["verify", join(dir, "berth.service")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toBe("");
  });
});
