// `berth serve --trace FILE` writes the phase trace: one JSON line per
// Create, exec and Delete of a real container, with the time of each step,
// so anyone can see which step costs what (`npm run bench` prints it).
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { until } from "../fixtures/until.js";
import { berth, startBerth, waitForOutput, type RunningCli } from "./berth-cli.js";

const prefix = `trace-${process.pid}-${Date.now().toString(36)}`;
let scratch: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningCli | undefined;

interface Line {
  op: string;
  namespace: string;
  id: string;
  processId?: string;
  ms: number;
  steps: Record<string, number>;
  error?: string;
}

const tracePath = () => join(scratch, "trace.jsonl");
async function traceLines(): Promise<Line[]> {
  const text = await readFile(tracePath(), "utf8").catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-trace-"));
  // BERTH_TRACE is the default; the flag, given too, wins.
  env = { BERTH_SOCKET: join(scratch, "berth.sock"), BERTH_NAMESPACE: "trace", BERTH_TRACE: join(scratch, "from-env.jsonl") };
  daemon = startBerth(["serve", "--default-network", "none", "--state-dir", join(scratch, "state"), "--cgroup-parent", `/berth-${prefix}`, "--trace", tracePath()], env);
  await waitForOutput(daemon, /^berth: serving on (.+)$/m);
});

afterAll(async () => {
  if (daemon !== undefined && daemon.process.exitCode === null) {
    const ids = (await berth(["ps", "--all", "--quiet"], env)).stdout.split("\n").filter((l) => l.startsWith(prefix));
    if (ids.length > 0) await berth(["rm", "-f", ...ids], env);
    daemon.process.kill("SIGTERM");
    await daemon.exited;
  }
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true, maxRetries: 5 });
});

describe("berth serve --trace", () => {
  it("records the phases of a Create, an exec and a Delete of a real container", async () => {
    const c = `${prefix}-one`;
    expect(await berth(["run", "-d", c, "--", "sleep", "300"], env)).toMatchObject({ code: 0 });
    expect(await berth(["exec", c, "--id", "e1", "--", "true"], env)).toMatchObject({ code: 0 });
    expect(await berth(["rm", "-f", c], env)).toMatchObject({ code: 0 });
    await until(async () => (await traceLines()).some((l) => l.op === "delete" && l.id === c), "the delete's trace line", 10_000);
    const lines = (await traceLines()).filter((l) => l.id === c);

    const create = lines.find((l) => l.op === "create")!;
    expect(create).toMatchObject({ namespace: "trace" });
    expect(create.error).toBeUndefined();
    // The steps in the order they ran, each timed once.
    const order = ["id checks", "overlay mount", "spec build", "spec and record write", "conmon spawn", "runtime create", "identity probes", "create event", "journal flush", "runtime start", "start event", "record write (started)"];
    expect(Object.keys(create.steps).filter((s) => order.includes(s))).toEqual(order);
    for (const step of order) expect(create.steps[step]).toBeGreaterThanOrEqual(0);
    // runc create alone takes milliseconds: the trace times the real work.
    expect(create.steps["runtime create"]).toBeGreaterThan(1);
    const sum = Object.values(create.steps).reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThanOrEqual(create.ms + 0.01);

    const exec = lines.find((l) => l.op === "exec")!;
    expect(exec).toMatchObject({ processId: "e1" });
    expect(Object.keys(exec.steps)).toEqual(expect.arrayContaining(["queue wait", "spec write", "conmon spawn", "runtime exec", "start event", "record write (started)"]));

    const del = lines.find((l) => l.op === "delete")!;
    expect(Object.keys(del.steps)).toEqual(expect.arrayContaining(["kill", "exit wait", "runtime delete", "overlay unmount", "delete event", "journal flush", "folder removal"]));
    // The container was SIGKILLed by the force delete: its exit is traced too.
    expect(lines.some((l) => l.op === "exit")).toBe(true);
    expect(existsSync(join(scratch, "from-env.jsonl"))).toBe(false);
  });

  it("records a failed Create with its error", async () => {
    const c = `${prefix}-bad`;
    const result = await berth(["run", "-d", "--rootfs", join(scratch, "no-such-rootfs"), c, "--", "true"], env);
    expect(result.code).not.toBe(0);
    await until(async () => (await traceLines()).some((l) => l.id === c), "the failed create's trace line", 10_000);
    const line = (await traceLines()).find((l) => l.id === c)!;
    expect(line.op).toBe("create");
    expect(line.error).toMatch(/no-such-rootfs/);
  });
});
