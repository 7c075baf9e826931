// The test rig with a bridge network of the suite's own, against real runc
// and conmon: a busybox httpd published on 127.0.0.1 with a host port the
// daemon picks, ready once forListeningPorts can connect through the
// mapped port, serving a host file and a content copied in before start;
// the container's address on its network; and a wait on a port that never
// opens. Traffic goes only to 127.0.0.1.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BerthError } from "../../src/errors/berth-error.js";
import { ContainerBuilder } from "../../src/rig/container-builder.js";
import { RigRun } from "../../src/rig/rig-run.js";
import { RUN_LABEL } from "../../src/rig/run-labels.js";
import { Wait } from "../../src/rig/wait/wait.js";
import { codeOf } from "../fixtures/code-of.js";
import { startRigDaemon, type RigDaemon } from "./rig-daemon.js";

let d: RigDaemon;
let scratch: string;
const run = new RigRun(`rig-ports-${process.pid}`);

beforeAll(async () => {
  d = await startRigDaemon("rigport");
  scratch = await mkdtemp(join(tmpdir(), "berth-rig-ports-"));
}, 60_000);

afterAll(async () => {
  await d?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe("test rig with published ports", { timeout: 90_000 }, () => {
  it("httpd serves a copied host file and content through getMappedPort on 127.0.0.1 once forListeningPorts is satisfied", async () => {
    const page = join(scratch, "index.html");
    await writeFile(page, "<h1>from the host</h1>\n", { mode: 0o600 });
    await using web = await new ContainerBuilder()
      .withName(d.td.id("web"))
      .withNetwork(d.net.name)
      .withExposedPorts(80)
      .withCopyFilesToContainer([{ source: page, target: "/www/index.html", mode: 0o644 }])
      .withCopyContentToContainer([{ content: "written as content\n", target: "/www/sub/content.txt", mode: 0o604 }])
      .withCommand(["httpd", "-f", "-p", "80", "-h", "/www"])
      .withWaitStrategy(Wait.forListeningPorts())
      .start(d.grpc, { run });
    expect(web.getHost()).toBe("127.0.0.1");
    const port = web.getMappedPort(80);
    expect(port).toBeGreaterThan(0);
    // No retry: forListeningPorts said it accepts connections.
    expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe("<h1>from the host</h1>\n");
    expect(await (await fetch(`http://127.0.0.1:${port}/sub/content.txt`)).text()).toBe("written as content\n");
    expect(await web.exec(["stat", "-c", "%a", "/www/index.html", "/www/sub/content.txt"])).toMatchObject({ exitCode: 0, stdout: "644\n604\n" });
    expect(web.getIpAddress(d.net.name).startsWith(`${d.net.prefix}.`)).toBe(true);
    expect(web.getNetworkNames()).toEqual([d.net.name]);
    expect(() => web.getMappedPort(81)).toThrow(/port 81\/tcp of container .* is not published: add it with withExposedPorts/);
    expect(() => web.getIpAddress("elsewhere")).toThrow(BerthError);
  });

  it("exposed TCP ports are waited for by default (UDP ones are published, not waited for); a host file keeps its own mode when none is given", async () => {
    const script = join(scratch, "serve.sh");
    await writeFile(script, "#!/bin/sh\nmkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 8080 -h /w\n", { mode: 0o750 });
    await using web = await new ContainerBuilder()
      .withName(d.td.id("default-wait"))
      .withExposedPorts(8080, { port: 5353, protocol: "udp" })
      .withCopyFilesToContainer([{ source: script, target: "/usr/local/bin/serve.sh" }])
      .withCommand(["/usr/local/bin/serve.sh"])
      .start(d.local, { run });
    expect(web.getNetworkNames()).toEqual([d.net.name]);
    expect(await (await fetch(`http://127.0.0.1:${web.getMappedPort(8080)}/index.html`)).text()).toBe("ok\n");
    expect((await web.exec(["stat", "-c", "%a", "/usr/local/bin/serve.sh"])).stdout).toBe("750\n");
    // A UDP port is published too (and not waited for: nothing listens).
    expect(web.getMappedPort(5353, "udp")).toBeGreaterThan(0);
    expect(() => web.getMappedPort(5353)).toThrow(/port 5353\/tcp .* is not published/);
  });

  it("a port that never opens times out naming the port, what the connection met and the last log lines, and leaves no container", async () => {
    const id = d.td.id("closed");
    let err: BerthError | undefined;
    try {
      await new ContainerBuilder()
        .withName(id)
        .withNetwork(d.net.name)
        .withExposedPorts(80)
        .withCommand(["sh", "-c", "echo not-listening; exec sleep 600"])
        .withWaitStrategy(Wait.forPort(80).withStartupTimeout(1500))
        .start(d.grpc, { run });
    } catch (e) {
      err = e as BerthError;
    }
    expect(err).toBeInstanceOf(BerthError);
    expect(err!.code).toBe("deadline_exceeded");
    expect(err!.message).toMatch(new RegExp(`container ${id} not ready after \\d+ ms: waited for port 80/tcp to accept connections; last saw: 127\\.0\\.0\\.1:\\d+ \\(80/tcp\\): ECONNREFUSED`));
    expect(err!.message).toContain("its last line:\nnot-listening");
    expect(await codeOf(d.grpc.state(id))).toBe("not_found");
    expect(await d.grpc.list({ labels: { [RUN_LABEL]: run.id } })).toEqual([]);
  });
});
