// runc 1.1 runs a container's startContainer hooks in its init process
// after `runc start` has already returned (libcontainer's
// standard_init_linux.go: the exec fifo is written, then the hooks run,
// then the process is exec'd). A failing hook ends the init before the
// process runs, and runc's only word of it is a line on the init's stderr,
// which conmon keeps in the container's log. So a run with such hooks is
// started only once its init has exec'd the process; one that ended first
// is a failed start, with the hook's error read back from the log.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";

import { failedPrecondition } from "../errors/berth-error.js";
import type { HookSet } from "../spec/hook-spec.js";
import { hookFailure } from "./hook-failure.js";

const POLL_MS = 10;
// How long conmon may take to drain the init's last output into the log.
const LOG_DRAIN_MS = 2000;

// waitPastStartHooks resolves once the init process pid has left runc's
// init (its hooks passed), or throws the hook's failure once it ended.
export async function waitPastStartHooks(pid: number, hooks: HookSet, logPath: string, runtime: string): Promise<void> {
  const total = hooks.startContainer.reduce((sum, h) => sum + (h.timeout ?? 0), 0);
  const deadline = Date.now() + (total + 5) * 1000;
  for (;;) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    // Empty: gone, or a zombie waiting for conmon to reap it.
    if (cmdline === "") break;
    // runc re-executes itself as "<its argv[0]> init" (libcontainer's
    // initArgs); anything else is the container's process.
    const argv = cmdline.split("\0");
    if (argv.length !== 3 || argv[1] !== "init" || basename(argv[0]!) !== basename(runtime)) return;
    // runc's own timeouts end a hook first; this bounds a wait gone wrong.
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const said = await initError(logPath);
  throw (
    hookFailure(new Error(said), hooks, "start") ??
    failedPrecondition(`the container's init ended before its process ran, as a failing start_container hook makes it${said ? `: ${said.slice(-480)}` : ""}`)
  );
}

// initError reads what runc's init wrote to stderr before it ended: the
// log's stderr lines from its last "error running hook", waiting a little
// for conmon to write them.
async function initError(logPath: string): Promise<string> {
  const until = Date.now() + LOG_DRAIN_MS;
  for (;;) {
    const text = await readFile(logPath, "utf8").catch(() => "");
    // k8s-file: "<time> <stream> <F|P> <text>"; a P line continues.
    let said = "";
    for (const line of text.split("\n")) {
      const m = /^\S+ stderr ([FP]) (.*)$/.exec(line);
      if (m !== null) said += m[2]! + (m[1] === "F" ? "\n" : "");
    }
    const at = said.lastIndexOf("error running hook #");
    if (at >= 0 || Date.now() > until) return (at >= 0 ? said.slice(at) : said).trim();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS * 5));
  }
}
