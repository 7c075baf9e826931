// PingProbe is "another client": while hostile calls are in flight it pings
// the daemon (a process of its own, hostile-daemon.ts) from a process of its
// own (ping-probe-process.mjs), every 20 ms, and times each answer. A ping
// is slow by the daemon's doing when, of its wait, more than the bound is
// left once the time the host's CPUs were taken by other processes is taken
// off: the kernel's schedstat says how long the daemon's main thread and the
// probe's sat runnable on a run queue while the ping waited (and the
// daemon's other threads, as long as its main thread sat on a futex waiting
// for them: garbage collection helpers, the thread pool). What is left
// is the daemon's own: its loop busy in a handler, garbage collection, a
// synchronous call or spawn, a stop. Pings late only by contention are
// counted apart and printed.
//
// One part of the daemon's own wait is bounded apart: the time its loop sat
// blocked in an asynchronous spawn (sampled from /proc: in the fork, off the
// CPU, or waiting for the child to exec). Every runc, conmon or umount call
// costs one; it grows with the daemon's size and, on a host busy with other
// suites, with the wait for CPUs and for the daemon's memory map lock (up to
// ~250 ms seen with two suites on two cores, 150 MB daemon). It must stay
// under SPAWN_BOUND_MS in any one ping; the rest of the own wait under the
// bound. A spawn's on-CPU part (copying page tables) still counts as the
// loop's.
//
// The bound: BERTH_HOSTILE_PING_MS (default 150), unless an idle daemon,
// measured in the same run (idleBaseline), already needs more than it less
// ALLOWANCE_MS; then the idle daemon's slowest own wait plus ALLOWANCE_MS.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const PROCESS = fileURLToPath(new URL("./ping-probe-process.mjs", import.meta.url));

// ALLOWANCE_MS is what a hostile call may add to an idle daemon's slowest
// Ping: a few runc spawns' forks of a ~100 MB daemon, not a quadratic loop.
export const ALLOWANCE_MS = 50;

// SPAWN_BOUND_MS bounds the daemon's loop blocked in spawns during one ping.
export const SPAWN_BOUND_MS = 1000;

export interface PingSample {
  // at is the epoch time (ms) the ping was sent (see epochNow).
  at: number;
  ms: number;
  // ownMs is ms less the time the daemon's main thread, or the probe's,
  // waited runnable for a CPU, and less spawnWaitMs: the daemon's own part
  // of the wait (spawns apart), and never less than daemonCpuMs.
  ownMs: number;
  daemonWaitMs: number;
  // daemonCpuMs is how long the daemon's main thread ran meanwhile.
  daemonCpuMs: number;
  selfWaitMs: number;
  // spawnWaitMs: the daemon's loop blocked in a spawn (fork, exec wait).
  spawnWaitMs: number;
  // blocked says what the daemon's main thread sat blocked in meanwhile
  // (sampled: state, syscall, kernel function), outside epoll and spawns.
  blocked?: string;
  error?: string;
}

export interface ProbeReport {
  pings: number;
  maxMs: number;
  maxOwnMs: number;
  // slow lists the pings whose own wait was over the bound, or whose spawn
  // wait was over SPAWN_BOUND_MS, worst first (at most five), with when each
  // was sent relative to start (sinceStartMs).
  slow: Array<PingSample & { sinceStartMs: number }>;
  // contended counts pings over the bound only by CPU contention.
  contended: number;
  // spawnWaitMs: the most one ping waited on the daemon's spawns.
  spawnWaitMs: number;
  // slowest is the ping with the most own wait, slow or not.
  slowest?: PingSample & { sinceStartMs: number };
  failures: string[];
}

// epochNow is a time comparable across the suite's processes (ms).
export const epochNow = (): number => performance.timeOrigin + performance.now();

export class PingProbe {
  private readonly child: ChildProcess;
  private readonly replies: Array<(msg: { op: string; samples?: PingSample[]; error?: string }) => void> = [];
  private started = 0;
  private exit: string | undefined;

  constructor(
    socketPath: string,
    daemonPid: number,
    public boundMs: number,
  ) {
    this.child = fork(PROCESS, [socketPath, String(daemonPid)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (msg: { op: string; samples?: PingSample[]; error?: string }) => this.replies.shift()?.(msg));
    this.child.on("exit", (code, signal) => {
      this.exit = `the probe's process exited (${signal ?? code})`;
      for (const reply of this.replies.splice(0)) reply({ op: "exit", error: this.exit });
    });
  }

  private ask(op: string): Promise<{ op: string; samples?: PingSample[]; error?: string }> {
    if (this.exit !== undefined) return Promise.resolve({ op: "exit", error: this.exit });
    return new Promise((resolve) => {
      this.replies.push(resolve);
      this.child.send({ op });
    });
  }

  async start(): Promise<void> {
    this.started = epochNow();
    await this.ask("start");
  }

  async stop(): Promise<ProbeReport> {
    const reply = await this.ask("stop");
    const report = summarizeSamples(reply.samples ?? [], this.boundMs, this.started);
    if (reply.op === "exit") report.failures.push(reply.error!);
    return report;
  }

  // idleBaseline pings the idle daemon for durationMs and, if even it needs
  // more than the bound less ALLOWANCE_MS, raises the bound to its slowest
  // own wait plus ALLOWANCE_MS. It returns a line saying both.
  async idleBaseline(durationMs: number): Promise<string> {
    await this.start();
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const idle = await this.stop();
    const worst = idle.slowest;
    const configured = this.boundMs;
    this.boundMs = Math.max(configured, Math.ceil(idle.maxOwnMs) + ALLOWANCE_MS);
    return (
      `idle daemon: ${idle.pings} pings, slowest ${Math.round(idle.maxMs)} ms, own part at most ${Math.round(idle.maxOwnMs)} ms${worst !== undefined ? ` (the worst: ${describeSlow(worst)})` : ""}; ` +
      `Ping bound ${this.boundMs} ms (${this.boundMs === configured ? "the default" : `idle + ${ALLOWANCE_MS} ms, over the default ${configured} ms`})`
    );
  }

  // alive pings once, from a fresh connection: is the daemon alive?
  async alive(): Promise<string | undefined> {
    const reply = await this.ask("alive");
    return reply.error === undefined ? undefined : `the daemon does not answer Ping: ${reply.error}`;
  }

  async close(): Promise<void> {
    if (this.exit !== undefined) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.send({ op: "close" });
    await exited;
  }
}

export function summarizeSamples(samples: PingSample[], boundMs: number, started: number): ProbeReport {
  const report: ProbeReport = { pings: samples.length, maxMs: 0, maxOwnMs: 0, slow: [], contended: 0, spawnWaitMs: 0, failures: [] };
  for (const s of samples) {
    report.maxMs = Math.max(report.maxMs, s.ms);
    if (report.slowest === undefined || s.ownMs > report.slowest.ownMs) report.slowest = { ...s, sinceStartMs: s.at - started };
    report.maxOwnMs = Math.max(report.maxOwnMs, s.ownMs);
    report.spawnWaitMs = Math.max(report.spawnWaitMs, s.spawnWaitMs);
    if (s.error !== undefined) report.failures.push(`Ping failed after ${Math.round(s.ms)} ms: ${s.error}`);
    else if (s.ownMs > boundMs || s.spawnWaitMs > SPAWN_BOUND_MS) report.slow.push({ ...s, sinceStartMs: s.at - started });
    else if (s.ms > boundMs) report.contended += 1;
  }
  report.slow.sort((a, b) => b.ownMs + b.spawnWaitMs - a.ownMs - a.spawnWaitMs).splice(5);
  return report;
}

// describeSlow says one slow ping: its wait, the daemon's part of it, and
// what the host's contention and the daemon's CPU were meanwhile.
export function describeSlow(s: PingSample & { sinceStartMs: number }): string {
  return `${Math.round(s.ms)} ms (${Math.round(s.ownMs)} ms the daemon's own: its loop ran ${Math.round(s.daemonCpuMs)} ms; CPU contention ${Math.round(s.daemonWaitMs + s.selfWaitMs)} ms; blocked in spawns ${Math.round(s.spawnWaitMs)} ms${s.blocked ? `; blocked: ${s.blocked}` : ""}) at +${Math.round(s.sinceStartMs)} ms`;
}
