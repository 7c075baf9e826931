// berth demo: a tour that needs nothing running. It starts a daemon in this
// process on a private state directory and socket (under a temp folder
// unless given), connects to it over gRPC as any client would, hears its
// events through a Backend, takes one container through its life, and
// removes everything it made.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { Client } from "../../client/client.js";
import { BerthError, isBerthError } from "../../errors/berth-error.js";
import { Remote } from "../../remote/remote.js";
import { stringOption, type Command, type CommandContext } from "../command.js";
import { DemoLog } from "../demo-log.js";
import { runDemoScript } from "../demo-script.js";
import { interruptSignal } from "../interrupt-signal.js";

export const demoCommand: Command = {
  name: "demo",
  summary: "start a private daemon and run one container through its whole life",
  usage: "[--state-dir DIR] [--socket PATH]",
  positionals: { min: 0, max: 0 },
  options: [],
  details:
    "Only --state-dir and --socket given on the command line are used (not BERTH_SOCKET), so the demo\n" +
    "never meets a daemon already running. Needs root, runc, conmon and busybox-static (scripts/setup).",
  async run(ctx) {
    const scratch = await mkdtemp(join(tmpdir(), "berth-demo-"));
    const stateDir = stringOption(ctx, "state-dir") ?? join(scratch, "state");
    const socketPath = stringOption(ctx, "socket") ?? join(scratch, "berth.sock");
    const interrupt = interruptSignal();
    const log = new DemoLog(ctx.stdout, interrupt.signal);
    try {
      const remote = await log.step(
        `start a daemon: state in ${stateDir}, serving on ${socketPath}`,
        // Network none: the demo's private daemon leaves no bridge behind.
        () => Remote.start({ stateDir, socketPath, network: { defaultNetwork: "none" } }),
        () => "serving",
      );
      try {
        await tour(remote, socketPath, log, ctx);
      } finally {
        await remote.cleanup();
      }
      log.note("daemon stopped; demo done");
      return 0;
    } finally {
      interrupt.dispose();
      await rm(scratch, { recursive: true, force: true });
    }
  },
};

async function tour(daemon: Remote, socketPath: string, log: DemoLog, ctx: CommandContext): Promise<void> {
  const v = await daemon.version();
  log.note(`runtime ${v.runtime} ${v.runtimeVersion}, monitor conmon ${v.monitorVersion}, cgroup ${v.cgroupMode}`);
  // The demo talks to its daemon over the socket, as any other process would.
  const remote = await Remote.connect({ socketPath });
  const client = await remote.client(log.backend, { namespace: ctx.globals.namespace });
  const id = `demo-${randomBytes(3).toString("hex")}`;
  try {
    await runDemoScript(client, log, id);
  } catch (err) {
    // The step's own error is the one to report; a failed clean-up is told
    // beside it rather than in its place.
    await removeLeftover(client, id).catch((cleanup: unknown) =>
      ctx.stderr.write(`berth: cannot remove demo container ${id}: ${BerthError.from(cleanup).message}\n`),
    );
    throw err;
  } finally {
    await client.close();
  }
}

// removeLeftover deletes the demo's container if a failed or interrupted
// step left it, so the demo never leaves a container behind.
async function removeLeftover(client: Client, id: string): Promise<void> {
  try {
    await client.delete(id, { force: true });
  } catch (err) {
    if (!isBerthError(err, "not_found")) throw err;
  }
}
