// PingProbe is "another client": while hostile calls are in flight it pings
// the daemon over its own connection, every few milliseconds, and measures
// each answer from the moment the ping was due. A daemon whose event loop is
// stuck delays the ping's timer as much as its answer, so both count.
//
// The daemon runs in this thread (startTestDaemon), so the probe also knows
// how long this thread's event loop was busy while each ping waited
// (performance.eventLoopUtilization). A ping is slow by the daemon's doing
// when the loop was busy for more than the bound in that window; a ping that
// waited only because the host's CPUs were taken by other processes is
// counted apart, as contention: the kernel's schedstat for this thread says
// how long it sat runnable on a run queue, and that time is taken off the
// loop's busy time (a loop preempted in a callback looks busy, but is not
// the daemon's doing). The suite's own synchronous work is taken off too
// (excuse below).
import { readFileSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import { isMainThread } from "node:worker_threads";

import { createGrpcJsClient, type GrpcJsClient } from "../fixtures/grpc-js-client.js";

export interface ProbeReport {
  pings: number;
  maxMs: number;
  // slow lists the pings over the bound while the daemon's loop was busy
  // for more than the bound, worst first (at most five).
  // gcMs is how much of that was garbage collection (of this process: the
  // daemon's heap and the suite's).
  // from and to bound the ping's wait (performance.now() time).
  slow: Array<{ ms: number; busyMs: number; gcMs: number; at: number; from: number; to: number }>;
  // contended counts pings over the bound while the loop was mostly idle.
  contended: number;
  // maxBusyMs is the most the loop was busy while one ping waited.
  maxBusyMs: number;
  failures: string[];
}

const INTERVAL_MS = 20;

// The suite's own work on this thread (generating cases, building and
// posting requests) is not the daemon's: the suite adds each synchronous
// stretch of it here, and the probe takes it off the loop's busy time.
let excusedMs = 0;

// excuse runs fn, a synchronous stretch of the suite's own work, and
// counts its time as not the daemon's.
export function excuse<T>(fn: () => T): T {
  const started = performance.now();
  try {
    return fn();
  } finally {
    excusedMs += performance.now() - started;
  }
}

// gcMs adds up this process's garbage-collection pauses, for reports.
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ["gc"] });

// excuseSince counts the time since started as the suite's own.
export function excuseSince(started: number): void {
  excusedMs += performance.now() - started;
}

// runQueueWaitMs is how long this thread has waited runnable for a CPU
// (/proc/<pid>/task/<tid>/schedstat, second field, in ns); 0 where unknown.
const SCHEDSTAT = isMainThread ? `/proc/self/task/${process.pid}/schedstat` : undefined;
function runQueueWaitMs(): number {
  if (SCHEDSTAT === undefined) return 0;
  try {
    return Number(readFileSync(SCHEDSTAT, "utf8").split(" ")[1]) / 1e6;
  } catch {
    return 0;
  }
}

export class PingProbe {
  private readonly client: GrpcJsClient;
  private running = false;
  private loop: Promise<void> | undefined;
  private report: ProbeReport = { pings: 0, maxMs: 0, slow: [], contended: 0, maxBusyMs: 0, failures: [] };
  private started = 0;

  constructor(
    socketPath: string,
    private readonly boundMs: number,
  ) {
    this.client = createGrpcJsClient(socketPath);
  }

  start(): void {
    this.report = { pings: 0, maxMs: 0, slow: [], contended: 0, maxBusyMs: 0, failures: [] };
    this.running = true;
    this.started = performance.now();
    this.loop = this.run();
  }

  async stop(): Promise<ProbeReport> {
    this.running = false;
    await this.loop;
    this.report.slow.sort((a, b) => b.ms - a.ms).splice(5);
    return this.report;
  }

  private async run(): Promise<void> {
    while (this.running) {
      // The wait counts from when the ping was due: the timer's lateness (a
      // stuck loop) is part of what it waited.
      const elu = performance.eventLoopUtilization();
      const waited0 = runQueueWaitMs();
      const excused0 = excusedMs;
      const gc0 = gcMs;
      const due = performance.now() + INTERVAL_MS;
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      try {
        await this.client.unary("SystemService", "Ping", {}, { deadlineMs: 2000 });
      } catch (err) {
        this.report.failures.push(`Ping failed: ${(err as Error).message}`);
      }
      const ms = performance.now() - due;
      const busyMs = Math.max(0, performance.eventLoopUtilization(elu).active - (runQueueWaitMs() - waited0) - (excusedMs - excused0));
      this.report.pings += 1;
      this.report.maxMs = Math.max(this.report.maxMs, ms);
      this.report.maxBusyMs = Math.max(this.report.maxBusyMs, busyMs);
      if (ms > this.boundMs) {
        const to = performance.now();
        if (busyMs > this.boundMs) this.report.slow.push({ ms: Math.round(ms), busyMs: Math.round(busyMs), gcMs: Math.round(gcMs - gc0), at: Math.round(to - this.started), from: due, to });
        else this.report.contended += 1;
      }
    }
  }

  // ping answers once, from a fresh connection: is the daemon alive?
  async alive(socketPath: string): Promise<string | undefined> {
    const fresh = createGrpcJsClient(socketPath);
    try {
      await fresh.unary("SystemService", "Ping", {}, { deadlineMs: 3000 });
      return undefined;
    } catch (err) {
      return `the daemon does not answer Ping: ${(err as Error).message}`;
    } finally {
      fresh.close();
    }
  }

  close(): void {
    this.client.close();
  }
}
