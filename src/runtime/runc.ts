// Runc drives the OCI runtime's CLI (quick-spawn.ts): typed arguments in, parsed
// JSON out, never a shell string. One Runc per runtime root (berth keeps one
// root per namespace, so two namespaces may reuse a container id).
import { basename, join } from "node:path";

import { startThroughExecFifo } from "./exec-fifo.js";
import { removeStoppedContainer } from "./stopped-container.js";
import { quickSpawn } from "./quick-spawn.js";
import { missingBinary, runtimeError } from "./runtime-error.js";

export interface RuncState {
  id: string;
  pid: number;
  status: "created" | "running" | "pausing" | "paused" | "stopped";
  bundle: string;
  created: string;
  annotations?: Record<string, string>;
}

export class Runc {
  constructor(
    readonly binary: string,
    readonly root: string,
  ) {}

  // run executes one runc subcommand and returns its stdout; failures carry
  // runc's last error line and a code derived from it.
  private async run(args: string[]): Promise<string> {
    const full = ["--root", this.root, ...args];
    const result = await quickSpawn(this.binary, full);
    if (result.exitCode === 0) return result.stdout.replace(/\n$/, "");
    if (isMissing(result.spawnError)) throw missingBinary("runc", "runc");
    throw runtimeError(`runc ${args[0]} ${args[args.length - 1]}`, result.stderr.trim() || result.stdout.trim() || (result.spawnError?.message ?? ""), result.exitCode);
  }

  // start starts a created container. Given a way to tell whether its init
  // process still runs, runc's start is done in this process (see
  // exec-fifo.ts); `runc start` runs when that is not runc's protocol (a
  // runtime that is not runc, no fifo) or init is gone, for its own answer.
  async start(id: string, initAlive?: () => Promise<boolean>): Promise<void> {
    if (initAlive !== undefined && this.isRunc && (await startThroughExecFifo(join(this.root, id), initAlive)) === "started") return;
    await this.run(["start", id]);
  }

  // isRunc: runc's state folder holds the exec.fifo its start
  // reads, and the state.json its delete reads; crun's start, for one,
  // writes to its fifo instead.
  private get isRunc(): boolean {
    return basename(this.binary).startsWith("runc");
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.run(all ? ["kill", "--all", id, String(signal)] : ["kill", id, String(signal)]);
  }

  async resume(id: string): Promise<void> {
    await this.run(["resume", id]);
  }

  // delete removes the container from the runtime; force kills it first.
  // A forced delete of a container runc holds as stopped is done here when
  // it can be (see stopped-container.ts): no runc to spawn.
  async delete(id: string, force = false): Promise<void> {
    if (force && this.isRunc && (await removeStoppedContainer(join(this.root, id)))) return;
    await this.run(force ? ["delete", "--force", id] : ["delete", id]);
  }

  async state(id: string): Promise<RuncState> {
    return JSON.parse(await this.run(["state", id])) as RuncState;
  }

  async version(): Promise<string> {
    const result = await quickSpawn(this.binary, ["--version"]);
    if (result.exitCode !== 0) throw missingBinary("runc", "runc");
    return /runc version (\S+)/.exec(result.stdout)?.[1] ?? result.stdout.split("\n")[0] ?? "";
  }
}

function isMissing(err: Error | undefined): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
