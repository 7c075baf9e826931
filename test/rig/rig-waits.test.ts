// The test rig's wait strategies, exec, copies and disposal, against real
// runc and conmon through both clients: each strategy resolves only once
// its condition holds (the condition is checked afterwards, so a strategy
// that returned early would fail the test), and one that cannot be met
// fails with what it waited for and what it last saw, and leaves no
// container behind. These containers use network none: no ports here
// (rig-ports.test.ts has them).
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import tarStream from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Client } from "../../src/client/client.js";
import { BerthError } from "../../src/errors/berth-error.js";
import { BUSYBOX, ContainerBuilder } from "../../src/rig/container-builder.js";
import { RigRun } from "../../src/rig/rig-run.js";
import { RUN_LABEL } from "../../src/rig/run-labels.js";
import { Wait } from "../../src/rig/wait/wait.js";
import { codeOf } from "../fixtures/code-of.js";
import { startRigDaemon, type RigDaemon } from "./rig-daemon.js";

let d: RigDaemon;
const run = new RigRun(`rig-waits-${process.pid}`);

beforeAll(async () => {
  d = await startRigDaemon("rigwait");
}, 60_000);

afterAll(async () => {
  await d?.stop();
});

const clients = () => [
  ["LocalClient", d.local],
  ["GrpcClient", d.grpc],
] as const;

const box = (name: string) => new ContainerBuilder().withName(d.td.id(name)).withNetwork("none");

async function logText(client: Client, id: string): Promise<string> {
  let out = "";
  for await (const l of client.logs(id)) out += `${Buffer.from(l.line).toString()}\n`;
  return out;
}

async function runContainers(client: Client): Promise<string[]> {
  return (await client.list({ labels: { [RUN_LABEL]: run.id } })).map((c) => c.id);
}

async function failure(p: Promise<unknown>): Promise<BerthError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error("expected the start to fail");
}

describe.each(["LocalClient", "GrpcClient"])("test rig waits (%s)", { timeout: 60_000 }, (which) => {
  const client = () => clients().find(([n]) => n === which)![1];

  it("forLogMessage counts matching lines: twice seen is ready for 2, once seen times out saying 1 of 2 and leaves no container", async () => {
    {
      await using twice = await box("log2")
        .withCommand(["sh", "-c", "echo starting; echo ready; echo ready; exec sleep 600"])
        .withWaitStrategy(Wait.forLogMessage(/^ready$/, 2))
        .start(client(), { run });
      expect((await logText(client(), twice.getId())).match(/^ready$/gm)).toHaveLength(2);
    }
    const id = d.td.id("log1");
    const err = await failure(
      new ContainerBuilder()
        .withName(id)
        .withNetwork("none")
        .withCommand(["sh", "-c", "echo ready; echo still-waiting; exec sleep 600"])
        .withWaitStrategy(Wait.forLogMessage("ready", 2).withStartupTimeout(1500))
        .start(client(), { run }),
    );
    expect(err.code).toBe("deadline_exceeded");
    expect(err.message).toContain(`container ${id} not ready after`);
    expect(err.message).toContain('waited for log message "ready" 2 times; last saw: 1 matching line of 2; last line "still-waiting"');
    expect(err.message).toContain("its last 2 lines:\nready\nstill-waiting");
    expect(await codeOf(client().state(id))).toBe("not_found");
    expect(await runContainers(client())).toEqual([]);
  });

  it("a container that exits before it is ready fails the wait at once with its exit code and last line, and is deleted", async () => {
    const id = d.td.id("early");
    const err = await failure(
      new ContainerBuilder()
        .withName(id)
        .withNetwork("none")
        .withCommand(["sh", "-c", "echo giving-up; exit 2"])
        .withWaitStrategy(Wait.forLogMessage("never"))
        .start(client(), { run }),
    );
    expect(err.code).toBe("failed_precondition");
    expect(err.message).toContain(`container ${id} exited with code 2 while waiting for log message "never"`);
    expect(err.message).toContain('last line "giving-up"');
    expect(await codeOf(client().state(id))).toBe("not_found");
  });

  it("forExit waits for the end and its code; a different code fails naming both", async () => {
    {
      await using job = await box("exit0").withCommand(["sh", "-c", "echo done"]).withWaitStrategy(Wait.forExit(0)).start(client(), { run });
      const c = await job.state();
      expect(c.exitCode).toBe(0);
      expect(await logText(client(), job.getId())).toBe("done\n");
    }
    const id = d.td.id("exit3");
    const err = await failure(new ContainerBuilder().withName(id).withNetwork("none").withCommand(["sh", "-c", "exit 3"]).withWaitStrategy(Wait.forExit(0)).start(client(), { run }));
    expect(err.code).toBe("failed_precondition");
    expect(err.message).toContain(`container ${id} exited with code 3 while waiting for the process to exit with code 0`);
    expect(await codeOf(client().state(id))).toBe("not_found");
  });

  it("forExec probes until the command exits 0, and no longer", async () => {
    // Each probe appends a line; the third is the first to exit 0.
    const probe = ["sh", "-c", "echo probe >> /probes; [ $(wc -l < /probes) -ge 3 ]"];
    await using c = await box("exec").withCommand(["sleep", "600"]).withWaitStrategy(Wait.forExec(probe)).start(client(), { run });
    expect(await c.exec(["sh", "-c", "wc -l < /probes"])).toEqual({ exitCode: 0, stdout: "3\n", stderr: "" });
  });

  it("forAll is ready when every strategy is, and fails naming the one that was not met", async () => {
    {
      await using c = await box("all")
        .withCommand(["sh", "-c", "echo up; touch /flag; exec sleep 600"])
        .withWaitStrategy(Wait.forAll([Wait.forLogMessage("up"), Wait.forExec(["test", "-e", "/flag"])]))
        .start(client(), { run });
      expect((await c.exec(["test", "-e", "/flag"])).exitCode).toBe(0);
    }
    const err = await failure(
      box("allfail")
        .withCommand(["sh", "-c", "echo up; exec sleep 600"])
        .withWaitStrategy(Wait.forAll([Wait.forLogMessage("up"), Wait.forExec(["test", "-e", "/flag"])]))
        .withStartupTimeout(1500)
        .start(client(), { run }),
    );
    expect(err.code).toBe("deadline_exceeded");
    expect(err.message).toContain('waited for ["test","-e","/flag"] to exit 0; last saw: exit code 1');
    expect(await runContainers(client())).toEqual([]);
  });

  it("a probe that hangs is given up at the deadline, saying so", async () => {
    const id = d.td.id("hung");
    const err = await failure(
      new ContainerBuilder().withName(id).withNetwork("none").withCommand(["sleep", "600"]).withWaitStrategy(Wait.forExec(["sleep", "600"]).withStartupTimeout(1500)).start(client(), { run }),
    );
    expect(err.code).toBe("deadline_exceeded");
    expect(err.message).toContain('waited for ["sleep","600"] to exit 0; last saw: the first probe was still running at the deadline');
    expect(await codeOf(client().state(id))).toBe("not_found");
  });

  it("the entrypoint, user and resources reach the container's process", async () => {
    await using c = await box("identity")
      .withEntrypoint(["sh", "-c"])
      .withCommand(["echo $(id -un):$(id -gn); exec sleep 600"])
      .withUser("nobody:nogroup")
      .withResources({ memoryLimitBytes: 64n << 20n, pidsLimit: 64n })
      .withWaitStrategy(Wait.forLogMessage("nobody:nogroup"))
      .start(client(), { run });
    const { config } = await client().inspect(c.getId());
    expect(config.process?.args).toEqual(["sh", "-c", "echo $(id -un):$(id -gn); exec sleep 600"]);
    expect(config.resources?.memoryLimitBytes).toBe(64n << 20n);
    expect(config.resources?.pidsLimit).toBe(64n);
    // An exec runs as the container's user, as with Docker.
    expect(await c.exec(["id", "-u"])).toMatchObject({ exitCode: 0, stdout: "65534\n" });
  });

  it("runs berth.local/busybox:latest by name; an image missing with pull policy never fails the start and leaves nothing", async () => {
    // Named first or not, berth.local/busybox:latest is made from the
    // built-in busybox, never pulled (test/image/built-in-image.test.ts
    // pins it on a fresh store).
    await using c = await new ContainerBuilder(BUSYBOX).withName(d.td.id("by-name")).withNetwork("none").withCommand(["sh", "-c", "echo by-name"]).withWaitStrategy(Wait.forExit(0)).start(client(), { run });
    const state = await c.state();
    expect(state.image).toBe(BUSYBOX);
    expect(state.imageId).not.toBe("");
    expect(await logText(client(), c.getId())).toBe("by-name\n");
    const id = d.td.id("missing-image");
    const err = await failure(new ContainerBuilder("berth.local/no-such-image:1").withPullPolicy("never").withName(id).withNetwork("none").start(client(), { run }));
    expect(err.code).toBe("not_found");
    expect(err.message).toContain("no-such-image");
    expect(await codeOf(client().state(id))).toBe("not_found");
  });

  it("exec gives the exit code, stdout and stderr apart", async () => {
    await using c = await box("execout").withCommand(["sleep", "600"]).start(client(), { run });
    expect(await c.exec(["sh", "-c", "echo out; echo err >&2; printf no-newline; exit 5"])).toEqual({ exitCode: 5, stdout: "out\nno-newline", stderr: "err\n" });
  });

  it("files and contents copied before start are there for the first process, with their modes", async () => {
    await using c = await box("copies")
      .withCopyContentToContainer([
        { content: "key=value\n", target: "/etc/app/app.conf", mode: 0o640 },
        { content: "#!/bin/sh\necho tool-ran\n", target: "/opt/tool.sh", mode: 0o755 },
      ])
      .withCommand(["sh", "-c", "stat -c '%a %n' /etc/app/app.conf /opt/tool.sh && cat /etc/app/app.conf && /opt/tool.sh"])
      .withWaitStrategy(Wait.forExit(0))
      .start(client(), { run });
    expect(await logText(client(), c.getId())).toBe("640 /etc/app/app.conf\n755 /opt/tool.sh\nkey=value\ntool-ran\n");
  });

  it("copies into and out of a started container", async () => {
    await using c = await box("copy-live").withCommand(["sleep", "600"]).start(client(), { run });
    await c.copyContentToContainer([{ content: "late\n", target: "/data/late.txt", mode: 0o600 }]);
    expect(await c.exec(["sh", "-c", "stat -c %a /data/late.txt; cat /data/late.txt"])).toMatchObject({ exitCode: 0, stdout: "600\nlate\n" });
    const { stat, tar } = await c.copyArchiveFromContainer("/data/late.txt");
    expect(stat.size).toBe(5n);
    const extract = tarStream.extract();
    const entries: Array<{ name: string; mode: number | undefined; body: string }> = [];
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (b: Buffer) => chunks.push(b));
      stream.on("end", () => {
        entries.push({ name: header.name, mode: header.mode, body: Buffer.concat(chunks).toString() });
        next();
      });
    });
    await pipeline(Readable.from(tar), extract);
    expect(entries).toEqual([{ name: "late.txt", mode: 0o600, body: "late\n" }]);
  });

  it("await using deletes the container at the end of the scope, also when the scope throws", async () => {
    let id = "";
    {
      await using c = await box("scoped").withCommand(["sleep", "600"]).withEnv({ GREETING: "hi" }).withWorkingDir("/tmp").start(client(), { run });
      id = c.getId();
      expect(await c.exec(["sh", "-c", 'echo "$GREETING $PWD"'])).toMatchObject({ exitCode: 0, stdout: "hi /tmp\n" });
      expect((await client().state(id)).labels[RUN_LABEL]).toBe(run.id);
    }
    expect(await codeOf(client().state(id))).toBe("not_found");
    const thrown = await (async () => {
      await using c = await box("scoped-throw").withCommand(["sleep", "600"]).start(client(), { run });
      id = c.getId();
      throw new Error("the test body failed");
    })().catch((err: Error) => err.message);
    expect(thrown).toBe("the test body failed");
    expect(await codeOf(client().state(id))).toBe("not_found");
  });

  it("stop stops and deletes; with remove false the stopped container stays", async () => {
    const kept = await box("stopkeep").withCommand(["sleep", "600"]).start(client(), { run });
    await kept.stop({ timeoutSeconds: 0, remove: false });
    expect((await client().state(kept.getId())).exitCode).toBe(137);
    await kept.stop();
    expect(await codeOf(client().state(kept.getId()))).toBe("not_found");
    await kept[Symbol.asyncDispose]();
  });
});
