// runDemoScript takes one container through its whole life on a running
// daemon: create, exec (with its exit code), stats, update, pause, resume,
// signal and exit, delete. Each step waits for the events it causes, so the
// output shows every state change next to the step that caused it.
import { StateDelete, StateExit, StateExitProcess, StatePause, StateResume, StateStart, StateStartProcess } from "../backend/backend.js";
import type { Client } from "../client/client.js";
import { Status, type Stats } from "../client/types.js";
import type { DemoLog } from "./demo-log.js";
import { formatBytes } from "./parse-size.js";
import { statusText } from "./status-text.js";

const MIB = 1024n * 1024n;
// A shell as pid 1 ignores SIGTERM unless it traps it; this one traps it and
// exits 143 (128 + 15), as a well-behaved service would.
const INIT_SCRIPT = 'trap "echo init: caught TERM; exit 143" TERM; echo init: hello from busybox; sleep 3600 & wait';
const EXEC_SCRIPT = "echo exec: running beside init as pid $$; exit 7";

export async function runDemoScript(client: Client, log: DemoLog, id: string): Promise<void> {
  const created = await log.step(
    `create ${id}: busybox sh as init, memory limit 64 MiB`,
    () => client.create(id, { process: { args: ["sh", "-c", INIT_SCRIPT] }, labels: { "berth.demo": "true" }, resources: { memoryLimitBytes: 64n * MIB } }),
    (c) => `${statusText(c.status)} as host pid ${c.pid}`,
  );
  await log.waitFor(id, StateStart);

  await log.step(
    `exec e1 in ${id}: sh -c '${EXEC_SCRIPT}'`,
    async () => {
      await client.addProcess(id, "e1", { args: ["sh", "-c", EXEC_SCRIPT] });
      return client.wait(id, { processId: "e1" });
    },
    (status) => `e1 exited with code ${status.exitCode}`,
  );
  await log.waitFor(id, StateStartProcess, "e1");
  await log.waitFor(id, StateExitProcess, "e1");
  for await (const line of client.logs(id, { processId: "e1" })) log.note(`e1 said: ${Buffer.from(line.line).toString()}`);

  await log.step(`stats ${id}`, () => client.stats(id), describeStats);
  await log.step(
    `update ${id}: memory limit 128 MiB`,
    async () => {
      await client.updateResources(id, { memoryLimitBytes: 128n * MIB });
      return client.stats(id);
    },
    (stats) => `memory limit now ${formatBytes(stats.memory?.limitBytes ?? 0n)}`,
  );

  await log.step(`pause ${id}`, async () => (await client.pause(id), client.state(id)), (c) => statusText(c.status));
  await log.waitFor(id, StatePause);
  await log.step(`resume ${id}`, async () => (await client.resume(id), client.state(id)), (c) => statusText(c.status));
  await log.waitFor(id, StateResume);

  const exit = await log.step(
    `signal ${id} with SIGTERM and wait for it to exit`,
    async () => {
      await client.signal(id, "SIGTERM");
      return client.wait(id);
    },
    (status) => `init (host pid ${created.pid}) exited with code ${status.exitCode}`,
  );
  await log.waitFor(id, StateExit);
  for await (const line of client.logs(id)) log.note(`init said: ${Buffer.from(line.line).toString()}`);

  await log.step(`delete ${id}`, () => client.delete(id), () => "bundle, overlay and cgroup removed");
  await log.waitFor(id, StateDelete);
  const left = await client.list({ statuses: [Status.CREATED, Status.RUNNING, Status.PAUSED, Status.STOPPED, Status.RESTARTING] });
  log.note(`containers left: ${left.length}; exit code seen: ${exit.exitCode}`);
}

function describeStats(stats: Stats): string {
  const cpuMs = (Number(stats.cpu?.usageNs ?? 0n) / 1e6).toFixed(1);
  const memory = `${formatBytes(stats.memory?.usageBytes ?? 0n)} of ${formatBytes(stats.memory?.limitBytes ?? 0n)}`;
  return `memory ${memory}, pids ${stats.pids?.current ?? 0n}, cpu ${cpuMs} ms`;
}
