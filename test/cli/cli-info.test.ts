// berth info against a `berth serve` of its own: the report docker users
// know, its --json form, and the daemon hint when nothing serves.
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { berth, startBerth, waitForOutput, type RunningCli } from "./berth-cli.js";

const prefix = `cli-info-${process.pid}-${Date.now().toString(36)}`;
const made = new Set<string>();

let scratch: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningCli | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-cli-info-"));
  env = { BERTH_SOCKET: join(scratch, "berth.sock"), BERTH_NAMESPACE: "cli-info" };
  daemon = startBerth(["serve", "--default-network", "none", "--state-dir", join(scratch, "state"), "--cgroup-parent", `/berth-${prefix}`], env);
  await waitForOutput(daemon, /^berth: serving on (.+)$/m);
});

afterAll(async () => {
  if (daemon !== undefined && daemon.process.exitCode === null) {
    if (made.size > 0) await berth(["rm", "-f", ...made], env);
    daemon.process.kill("SIGTERM");
    await daemon.exited;
  }
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
});

describe("berth info", () => {
  it("prints docker info's lines, and warnings on stderr", async () => {
    const c = `${prefix}-run`;
    made.add(c);
    expect((await berth(["run", "-d", c, "--", "sleep", "300"], env)).code).toBe(0);
    const info = await berth(["info"], env);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^Containers: 1\n Running: 1\n Paused: 0\n Stopped: 0\nImages: 1\n/);
    expect(info.stdout).toContain("Storage Driver: overlay\n");
    expect(info.stdout).toContain(`Kernel Version: ${os.release()}\n`);
    expect(info.stdout).toContain(`CPUs: ${os.availableParallelism()}\n`);
    expect(info.stdout).toMatch(/^Cgroup Mode: (v1|v2|hybrid)$/m);
    expect(info.stdout).toMatch(/^ID: \S+$/m);
    expect(info.stderr).toMatch(/^(WARNING: .+\n)*$/);
  });

  it("prints the message as JSON with --json, zeros included", async () => {
    const result = await berth(["info", "--json"], env);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ containers: 1, containersRunning: 1, containersPaused: 0, containersStopped: 0, images: 1, osType: "linux" });
    expect(json["memTotalBytes"]).toMatch(/^\d+$/);
    expect(result.stderr).toBe("");
  });

  it("says to start the daemon when nothing serves on the socket", async () => {
    const result = await berth(["info"], { ...env, BERTH_SOCKET: join(scratch, "nothing.sock") });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/is `berth serve` running\?/);
  });
});
