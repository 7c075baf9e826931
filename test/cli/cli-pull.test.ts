// berth pull, login and logout against a `berth serve` of their own and a
// real docker-registry with htpasswd auth: plain progress lines when not on
// a terminal, the password only from stdin, exit codes per refusal.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { PASSWORD, startRegistry, USER, type TestRegistry } from "../registry/registry-process.js";
import { buildTestImage, type TestImage } from "../registry/test-image.js";
import { berth, BERTH_BIN, startBerth, waitForOutput, type RunningCli } from "./berth-cli.js";

const prefix = `cli-pull-${process.pid}-${Date.now().toString(36)}`;
let scratch: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningCli | undefined;
let registry: TestRegistry;
let image: TestImage;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-cli-pull-"));
  env = { BERTH_SOCKET: join(scratch, "berth.sock"), BERTH_NAMESPACE: "cli-pull" };
  image = await buildTestImage(join(scratch, "layout"), "cli-pull");
  registry = await startRegistry("htpasswd");
  await registry.push(image.layout, "cli/busybox");
  daemon = startBerth(["serve", "--state-dir", join(scratch, "state"), "--cgroup-parent", `/berth-${prefix}`], env);
  await waitForOutput(daemon, /^berth: serving on (.+)$/m);
}, 60_000);

afterAll(async () => {
  if (daemon !== undefined && daemon.process.exitCode === null) {
    daemon.process.kill("SIGTERM");
    await daemon.exited;
  }
  await registry?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
});

const login = (args: string[], input: string) => execa(process.execPath, [BERTH_BIN, "login", ...args], { env: { ...process.env, ...env }, input, reject: false });

describe("berth pull, login, logout", { timeout: 60_000 }, () => {
  it("pull without credentials exits 80 (UNAUTHENTICATED) saying to log in", async () => {
    const r = await berth(["pull", `${registry.host}/cli/busybox`], env);
    expect([r.code, r.stderr.trim()]).toEqual([80, `berth: registry ${registry.host} wants credentials: run berth login ${registry.host}`]);
  });

  it("login reads the password from stdin, refuses a wrong one (exit 80), and then pull prints a plain line per layer state", async () => {
    const wrong = await login(["-u", USER, "--password-stdin", registry.host], "nope\n");
    expect([wrong.exitCode, wrong.stderr]).toEqual([80, expect.stringContaining("refused the credentials")]);
    const ok = await login(["-u", USER, "--password-stdin", registry.host], `${PASSWORD}\n`);
    expect([ok.exitCode, ok.stdout.trim()]).toEqual([0, `Login succeeded: ${registry.host}`]);
    const r = await berth(["pull", `${registry.host}/cli/busybox`], env);
    expect(r.code).toBe(0);
    for (const layer of image.layers) {
      const short = layer.digest.slice(7, 19);
      expect(r.stderr).toContain(`${short}: waiting`);
      expect(r.stderr).toMatch(new RegExp(`${short}: (pull complete|already exists)`));
    }
    expect(r.stderr).not.toContain("\x1b[");
    expect(r.stdout).toContain(`Digest: ${image.manifest.digest}`);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`${registry.host}/cli/busybox:latest`);
    const quiet = await berth(["pull", "-q", `${registry.host}/cli/busybox`], env);
    expect([quiet.code, quiet.stdout, quiet.stderr]).toEqual([0, `${registry.host}/cli/busybox:latest\n`, ""]);
    expect((await berth(["logout", registry.host], env)).stdout).toBe(`Removed the credentials for ${registry.host}\n`);
    expect((await berth(["logout", registry.host], env)).stdout).toBe(`No credentials were kept for ${registry.host}\n`);
  });

  it("exits 2 for login without a password source, 67 for a malformed reference, 69 for an unknown image", async () => {
    const usage = await login(["-u", USER, registry.host], "");
    expect([usage.exitCode, usage.stderr]).toEqual([2, expect.stringContaining("--password-stdin")]);
    const bad = await berth(["pull", "Bad//Ref"], env);
    expect([bad.code, bad.stderr]).toEqual([67, expect.stringContaining("a reference looks like busybox")]);
    await login(["-u", USER, "--password-stdin", registry.host], PASSWORD);
    const missing = await berth(["pull", `${registry.host}/cli/none`], env);
    expect([missing.code, missing.stderr]).toEqual([69, expect.stringContaining("is not there")]);
  });
});
