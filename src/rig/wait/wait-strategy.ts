// WaitStrategy is how a started container is known to be ready, as in
// testcontainers-node's wait-strategies/: each strategy has a start-up
// timeout, and on failure says what it waited for and what it last saw.
// PollingWait is the loop most of them share: probe, and between probes
// check that the container still runs, until ready or the deadline.
import type { Client } from "../../client/client.js";
import { BerthError, failedPrecondition } from "../../errors/berth-error.js";
import { Status, type PortBinding } from "../../gen/berth/v1/types_pb.js";
import type { ExecOptions, ExecResult } from "../exec-in-container.js";

// WaitTarget is what a strategy may look at: the container, its published
// ports, and exec in it.
export interface WaitTarget {
  readonly client: Client;
  readonly id: string;
  // host is where published ports are reached.
  readonly host: string;
  readonly ports: readonly PortBinding[];
  exec(args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

export abstract class WaitStrategy {
  #startupTimeoutMs: number | undefined;

  // withStartupTimeout bounds this strategy's wait; unset, the builder's
  // start-up timeout applies (60 s by default).
  withStartupTimeout(ms: number): this {
    if (!Number.isFinite(ms) || ms < 0) throw new BerthError("invalid_argument", `start-up timeout ${ms} ms: give a number of milliseconds, 0 or more`);
    this.#startupTimeoutMs = ms;
    return this;
  }

  get startupTimeoutMs(): number | undefined {
    return this.#startupTimeoutMs;
  }

  // describe says what the strategy waits for ("log message /ready/ 2 times").
  abstract describe(): string;

  // waitUntilReady resolves once the container is ready, or throws: a
  // deadline_exceeded BerthError once deadline (ms since the epoch, this
  // strategy's own timeout aside) has passed, failed_precondition when
  // the container ended before it was ready.
  abstract waitUntilReady(target: WaitTarget, deadline: number): Promise<void>;

  // deadlineFrom is the earlier of the caller's deadline and this
  // strategy's own timeout counted from now.
  protected deadlineFrom(deadline: number): number {
    return this.#startupTimeoutMs === undefined ? deadline : Math.min(deadline, Date.now() + this.#startupTimeoutMs);
  }
}

export interface Probe {
  ready: boolean;
  // seen is what the probe found, for the message when the wait fails.
  seen: string;
}

export interface ProbeContext {
  // signal is aborted once the wait is over, ending what a probe left
  // running (a followed log).
  signal: AbortSignal;
  // deadline (ms since the epoch) bounds one probe's own work.
  deadline: number;
  // final is set for the last look after the container has ended: all it
  // will ever write has been written.
  final: boolean;
}

export abstract class PollingWait extends WaitStrategy {
  protected intervalMs = 100;
  // endsWithExit is true for strategies for which an ended container is
  // not a failure (forExit).
  protected endsWithExit = false;

  // probe looks once (see ProbeContext).
  protected abstract probe(target: WaitTarget, context: ProbeContext): Promise<Probe>;

  // reset forgets what an earlier wait saw, so one strategy can serve
  // several containers one after another.
  protected reset(): void {}

  async waitUntilReady(target: WaitTarget, callerDeadline: number): Promise<void> {
    const deadline = this.deadlineFrom(callerDeadline);
    const started = Date.now();
    const done = new AbortController();
    this.reset();
    try {
      for (;;) {
        let { ready, seen } = await this.probe(target, { signal: done.signal, deadline, final: false });
        if (ready) return;
        if (!this.endsWithExit) {
          const c = await target.client.state(target.id);
          if (c.status === Status.STOPPED) {
            // It may have become ready just before it ended: look once more.
            ({ ready, seen } = await this.probe(target, { signal: done.signal, deadline, final: true }));
            if (ready) return;
            throw failedPrecondition(`container ${target.id} exited with code ${c.exitCode ?? "unknown"} while waiting for ${this.describe()}; last saw: ${seen}`);
          }
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new BerthError("deadline_exceeded", `container ${target.id} not ready after ${Date.now() - started} ms: waited for ${this.describe()}; last saw: ${seen}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.intervalMs, left)));
      }
    } finally {
      done.abort();
    }
  }
}
