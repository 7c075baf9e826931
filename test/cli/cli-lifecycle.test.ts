// create, start, stop, restart and inspect through the built CLI against a
// real `berth serve`: each step's output, exit code and effect on the
// container, on real runc containers.
import { writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { until } from "../fixtures/until.js";
import { useServeDaemon } from "./berth-cli.js";

const prefix = `clil-${process.pid}-${Date.now().toString(36)}`;
const id = (name: string) => `${prefix}-${name}`;


const served = useServeDaemon("clil", prefix);
const cli = served.cli;

// A shell that exits at once on SIGINT: `wait` returns as soon as a
// trapped signal arrives, where a foreground sleep would finish first.
const EXIT_ON_INT = 'trap "exit 0" INT; while :; do sleep 1 & wait $!; done';
// A shell that outlives any stop signal short of SIGKILL.
const IGNORE_TERM = 'trap "" TERM; while :; do sleep 1 & wait $!; done';

async function statusOf(c: string): Promise<string> {
  const ps = await cli("ps", "--all");
  return ps.stdout.match(new RegExp(`^${c}\\s+(\\S+(?: \\(\\d+\\))?)`, "m"))?.[1] ?? "absent";
}

async function inspectOne(c: string, ...flags: string[]) {
  const result = await cli("inspect", ...flags, c);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  const parsed = JSON.parse(result.stdout) as Record<string, any>[];
  expect(parsed).toHaveLength(1);
  return parsed[0]!;
}

describe("berth create, start, stop, restart and inspect", () => {
  it("creates without starting, starts, stops with the stop signal, restarts, and inspects", async () => {
    const c = id("life");
    const data = join(served.scratch, "data");
    await mkdir(data);
    writeFileSync(join(data, "greeting"), "hello from the host\n");
    const script = `cat /data/greeting; touch /data/new 2>/dev/null || echo read-only; echo $$ > /written; ${EXIT_ON_INT}`;
    const created = await cli("create", "-v", `${data}:/data:ro`, "--stop-signal", "INT", "--restart", "always", "--memory", "64m", "--memory-reservation", "32m", c, "--", "sh", "-c", script);
    expect(created).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: "" });

    const before = await inspectOne(c);
    expect(before.container).toMatchObject({ id: c, status: "STATUS_CREATED", pid: 0, stopSignal: "SIGINT", restartPolicy: { kind: "KIND_ALWAYS" } });
    expect(before.config.mounts).toEqual([{ source: data, destination: "/data", readOnly: true }]);
    expect(before.config.resources).toMatchObject({ memoryLimitBytes: String(64 << 20), memoryReservationBytes: String(32 << 20) });
    // The bundle's config.json arrives as an object, not base64.
    expect(before.config.ociSpec.process.args).toEqual(["sh", "-c", script]);
    expect(before.config.ociSpec.mounts).toContainEqual(expect.objectContaining({ destination: "/data", source: data }));
    expect(before.config).not.toHaveProperty("ociSpecJson");
    expect(before).not.toHaveProperty("sizeRwBytes");

    expect(await cli("start", c)).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: "" });
    await until(async () => (await cli("logs", c)).stdout.includes("read-only"), "the container's first lines");
    expect((await cli("logs", c)).stdout).toBe("hello from the host\nread-only\n");

    // The writable layer now holds /written: --size measures it.
    const sized = await inspectOne(c, "--size");
    expect(sized.container.status).toBe("STATUS_RUNNING");
    expect(Number(sized.sizeRwBytes)).toBeGreaterThan(0);

    // SIGINT, the container's stop signal, ends it well before the timeout.
    const stopped = await cli("stop", "-t", "20", c);
    expect(stopped).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: "" });
    // A user's stop is final: restart policy always does not start it again.
    expect(await statusOf(c)).toBe("exited (0)");
    expect(await cli("stop", c)).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: "" });

    const firstPid = sized.container.pid;
    expect(await cli("restart", "-t", "20", c)).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: "" });
    const again = await inspectOne(c);
    expect(again.container.status).toBe("STATUS_RUNNING");
    expect(again.container.pid).not.toBe(firstPid);

    expect(await cli("rm", "-f", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
  });

  it("kills a container that outlives the timeout, saying so on stderr only", async () => {
    const c = id("stubborn");
    expect((await cli("run", "-d", c, "--", "sh", "-c", IGNORE_TERM)).code).toBe(0);
    const startedAt = Date.now();
    const stopped = await cli("stop", "-t", "1", c);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(stopped).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: `berth: container ${c} did not exit within the timeout after SIGTERM: killed\n` });
    expect(await statusOf(c)).toBe("exited (137)");

    expect(await cli("start", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
    const restarted = await cli("restart", "-t", "1", c);
    expect(restarted).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: `berth: container ${c} did not exit within the timeout after SIGTERM: killed\n` });
    expect(await statusOf(c)).toBe("running");

    // -s overrides the stop signal, and -t 0 asked for the kill: no note.
    expect(await cli("stop", "-s", "KILL", c)).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: "" });
    expect(await cli("start", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
    expect(await cli("stop", "-t", "0", c)).toMatchObject({ code: 0, stdout: `${c}\n`, stderr: "" });
    expect(await cli("rm", c)).toMatchObject({ code: 0, stdout: `${c}\n` });
  });

  it("goes on past an unknown id, reporting it with not_found's exit code", async () => {
    const [a, b, missing] = [id("multi-a"), id("multi-b"), id("missing")];
    for (const c of [a, b]) expect((await cli("create", c, "--", "sh", "-c", EXIT_ON_INT)).code).toBe(0);
    const started = await cli("start", a, missing, b);
    expect(started).toMatchObject({ code: 69, stdout: `${a}\n${b}\n`, stderr: `berth: container "${missing}" not found in namespace "clil"\n` });
    const inspected = await cli("inspect", a, missing, b);
    expect(inspected.code).toBe(69);
    expect((JSON.parse(inspected.stdout) as { container: { id: string } }[]).map((r) => r.container.id)).toEqual([a, b]);
    expect(await cli("inspect", missing)).toMatchObject({ code: 69, stdout: "[]\n" });
    expect(await cli("rm", "-f", a, b)).toMatchObject({ code: 0, stdout: `${a}\n${b}\n` });
  });

  it("refuses a bad -v or -t with exit code 2 before calling the daemon", async () => {
    const volume = await cli("create", "-v", "data:/data", id("bad"), "--", "true");
    expect(volume.code).toBe(2);
    expect(volume.stderr).toMatch(/^berth: --volume "data:\/data": berth has no named volumes/);
    expect((await cli("stop", "-t", "soon", id("bad"))).code).toBe(2);
    expect(await statusOf(id("bad"))).toBe("absent");
  });
});
