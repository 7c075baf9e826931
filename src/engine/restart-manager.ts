// RestartManager is libcontainerd's restartmanager for one container: it
// decides, at each exit the container makes on its own, whether to start it
// again and after how long. The back-off starts at 100 ms and doubles at
// each restart, capped at one minute, and goes back to 100 ms once a run
// has lasted 10 seconds. Its state is part of the container's record, so a
// daemon started again goes on where the last one stopped.
//
// The policies, as the Runtime seed names them:
//   no              never restart;
//   on-failure[:N]  restart after a non-zero exit, at most N times (0: no bound);
//   unless-stopped  restart after any exit, unless a user stopped it;
//   always          the same while the daemon runs, and when a daemon starts
//                   it also starts again a container a user had stopped
//                   (Docker's difference between the two).
// A user stops a container with a stop signal (SIGKILL, SIGTERM, SIGINT,
// SIGQUIT) through Signal, or with Delete; that cancels a pending restart.
//
// Between an exit and the restart it decided on, the container is
// RESTARTING (Docker's "restarting"), with the time the restart is due. The
// count goes up only when a restart happens (restarted), so a restart that
// a user cancels in its back-off is never counted.
import { create } from "@bufbuild/protobuf";

import { invalidArgument } from "../errors/berth-error.js";
import { RestartPolicy_Kind, RestartPolicySchema, type RestartPolicy } from "../gen/berth/v1/types_pb.js";

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
export const BACKOFF_RESET_AFTER_MS = 10_000;

export type RestartPolicyName = "no" | "always" | "on-failure" | "unless-stopped";

export interface RestartPolicySpec {
  name: RestartPolicyName;
  // maxRetries bounds on-failure restarts; 0 means no bound.
  maxRetries: number;
}

// RestartState is what the record keeps.
export interface RestartState {
  policy: RestartPolicySpec;
  // count is the number of restarts carried out so far: runs started, or
  // tried (a start that failed counts, as a run that failed at once). A
  // pending restart is not in it until it happens.
  count: number;
  // backoffMs is the delay used for the last restart (0 before the first).
  backoffMs: number;
  manuallyStopped: boolean;
  // pendingAt is when a decided restart is due (ms since the epoch).
  pendingAt?: number;
  // countedOnRestart marks a state whose count leaves out the pending
  // restart. Records from before it counted a restart when deciding it.
  countedOnRestart?: boolean;
}

const STOP_SIGNALS = new Set([2, 3, 9, 15]);

// isStopSignal says whether a signal sent by a user means "stop".
export function isStopSignal(signal: number): boolean {
  return STOP_SIGNALS.has(signal);
}

const NAMES: Record<number, RestartPolicyName> = {
  [RestartPolicy_Kind.UNSPECIFIED]: "no",
  [RestartPolicy_Kind.NO]: "no",
  [RestartPolicy_Kind.ALWAYS]: "always",
  [RestartPolicy_Kind.ON_FAILURE]: "on-failure",
  [RestartPolicy_Kind.UNLESS_STOPPED]: "unless-stopped",
};

// restartPolicyOf checks the policy given to Create.
export function restartPolicyOf(policy: { kind?: RestartPolicy_Kind; maxRetries?: number } | undefined): RestartPolicySpec {
  const kind = policy?.kind ?? RestartPolicy_Kind.UNSPECIFIED;
  const name = NAMES[kind];
  if (name === undefined) throw invalidArgument(`unknown restart policy kind ${kind}`);
  const maxRetries = policy?.maxRetries ?? 0;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) throw invalidArgument(`restart policy max_retries ${maxRetries} must be a non-negative integer`);
  if (maxRetries > 0 && name !== "on-failure") throw invalidArgument(`max_retries applies only to the on-failure restart policy, not to ${name}`);
  return { name, maxRetries };
}

const KINDS: Record<RestartPolicyName, RestartPolicy_Kind> = {
  no: RestartPolicy_Kind.NO,
  always: RestartPolicy_Kind.ALWAYS,
  "on-failure": RestartPolicy_Kind.ON_FAILURE,
  "unless-stopped": RestartPolicy_Kind.UNLESS_STOPPED,
};

export function restartPolicyMessage(spec: RestartPolicySpec): RestartPolicy {
  return create(RestartPolicySchema, { kind: KINDS[spec.name], maxRetries: spec.maxRetries });
}

export class RestartManager {
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly state: RestartState) {
    if (state.countedOnRestart !== true) {
      // An older daemon's record: its count already holds the pending
      // restart, which restarted() will count when it happens.
      if (state.pendingAt !== undefined && state.count > 0) state.count--;
      state.countedOnRestart = true;
    }
  }

  static initial(policy: RestartPolicySpec): RestartManager {
    return new RestartManager({ policy, count: 0, backoffMs: 0, manuallyStopped: false, countedOnRestart: true });
  }

  get pending(): boolean {
    return this.state.pendingAt !== undefined;
  }

  // nextRestartAt is when the pending restart is due, if one is.
  get nextRestartAt(): Date | undefined {
    return this.state.pendingAt === undefined ? undefined : new Date(this.state.pendingAt);
  }

  // decide is told of an exit: the exit code, how long the run lasted, and
  // whether this is a daemon starting up. It returns the delay before the
  // restart, or undefined for none, and records the decision.
  decide(exitCode: number, ranMs: number, atBoot = false): number | undefined {
    const s = this.state;
    if (s.policy.name === "no" || s.pendingAt !== undefined) return undefined;
    if (!this.wouldRestart(exitCode, atBoot)) return undefined;
    const previous = ranMs >= BACKOFF_RESET_AFTER_MS ? 0 : s.backoffMs;
    s.backoffMs = previous === 0 ? BACKOFF_START_MS : Math.min(previous * 2, BACKOFF_MAX_MS);
    s.pendingAt = Date.now() + s.backoffMs;
    if (atBoot) s.manuallyStopped = false;
    return s.backoffMs;
  }

  // schedule runs restart when the pending restart is due.
  schedule(restart: () => void): void {
    clearTimeout(this.timer);
    if (this.state.pendingAt === undefined) return;
    this.timer = setTimeout(restart, Math.max(0, this.state.pendingAt - Date.now()));
  }

  // restarted marks the pending restart done, and counts it.
  restarted(): void {
    if (this.state.pendingAt === undefined) return;
    this.state.pendingAt = undefined;
    this.state.count++;
  }

  // stoppedByUser records a user's stop and cancels a pending restart. It
  // returns whether a restart was pending.
  stoppedByUser(): boolean {
    this.state.manuallyStopped = true;
    return this.dropPending();
  }

  // dropPending forgets a restart the policy had decided on (a user starts
  // the container now, or the policy became none); it says whether there
  // was one.
  dropPending(): boolean {
    const wasPending = this.pending;
    this.state.pendingAt = undefined;
    this.cancel();
    return wasPending;
  }

  // cancel stops the timer; the decision stays recorded for the next daemon.
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private wouldRestart(exitCode: number, atBoot: boolean): boolean {
    const s = this.state;
    switch (s.policy.name) {
      case "no":
        return false;
      case "always":
        return atBoot || !s.manuallyStopped;
      case "unless-stopped":
        return !s.manuallyStopped;
      case "on-failure":
        return !s.manuallyStopped && exitCode !== 0 && (s.policy.maxRetries === 0 || s.count < s.policy.maxRetries);
      default: {
        const never: never = s.policy.name;
        throw new Error(`unknown restart policy ${String(never)}`);
      }
    }
  }
}
