// The README's test-rig example, run as written against a daemon of the
// suite's own (its socket and a host file put in place of the README's),
// so the example cannot drift from the API.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { afterAll, beforeAll, expect, it, vi } from "vitest";

import { GrpcClient } from "../../src/client/grpc-client.js";
import { startRigDaemon, type RigDaemon } from "./rig-daemon.js";

let d: RigDaemon;
let scratch: string;

beforeAll(async () => {
  d = await startRigDaemon("rigdoc");
  scratch = await mkdtemp(join(tmpdir(), "berth-rig-readme-"));
}, 60_000);

afterAll(async () => {
  await d?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

it("runs the README's test-rig example: the page through the mapped port, the copied file through exec, and the container deleted", { timeout: 90_000 }, async () => {
  const readme = await readFile(resolve(import.meta.dirname, "../../README.md"), "utf8");
  const block = /### The test rig\n[\s\S]*?```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
  expect(block, "README.md has a ```ts block under '### The test rig'").toBeDefined();
  const conf = join(scratch, "app.conf");
  await writeFile(conf, "answer=42\n", { mode: 0o640 });
  const source = block!
    .replace('from "berth"', `from ${JSON.stringify(resolve(import.meta.dirname, "../../src/index.js"))}`)
    .replace('socketPath: "/run/berth/berth.sock"', `socketPath: ${JSON.stringify(d.td.socketPath)}`)
    .replace('source: "./app.conf"', `source: ${JSON.stringify(conf)}`);
  expect(source).toContain(d.td.socketPath);
  expect(source).toContain(conf);
  const file = join(scratch, "example.ts");
  await writeFile(file, source);
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await import(file);
    expect(log.mock.calls).toEqual([["<h1>hi</h1>\n"], [0, "answer=42\n", ""]]);
  } finally {
    log.mockRestore();
  }
  // Nothing of the example is left in the daemon's default namespace.
  const client = await GrpcClient.connect({ socketPath: d.td.socketPath });
  try {
    expect(await client.list()).toEqual([]);
  } finally {
    await client.close();
  }
});
