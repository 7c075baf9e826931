// quickSpawn runs a program (an argument array, never a shell) with its
// input on stdin and collects stdout and stderr. It is node's spawn rather
// than execa because a Create on a bridge network runs several of these
// (unshare, the bridge, portmap and firewall ADDs, each a Go binary, two
// iptables listings), a Delete the DELs and umount, and execa's per-call machinery measured 15 to 25 ms more than spawn's
// per call on the project's loaded two-core machine; nothing of execa's
// (transforms, piping, verbose) is needed for a JSON in, JSON out call.
// Every Create and Delete runs mount or umount, and a daemon asks runc and
// conmon for their versions at start, through it too: then a serving
// daemon never loads execa (about 13 MiB) until it unpacks an image or runs
// a hook.
import { spawn } from "node:child_process";

export interface QuickResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  // spawnError is set when the program could not be started at all.
  spawnError?: Error;
}

export interface QuickOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  // timeoutMs kills the program (SIGKILL) when it runs longer; none: no bound.
  timeoutMs?: number;
}

export function quickSpawn(file: string, args: readonly string[], o: QuickOptions = {}): Promise<QuickResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], ...(o.env !== undefined && { env: o.env }), ...(o.cwd !== undefined && { cwd: o.cwd }) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    const timer =
      o.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, o.timeoutMs);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    // A program that exits without reading its input is no error of ours.
    child.stdin.on("error", () => {});
    let settled = false;
    const settle = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ exitCode: code ?? undefined, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), timedOut, ...(spawnError !== undefined && { spawnError }) });
    };
    child.once("error", (e) => {
      spawnError = e;
      // Not started: no close may follow.
      if (child.pid === undefined) settle(null);
    });
    child.once("close", settle);
    child.stdin.end(o.input ?? "");
  });
}
