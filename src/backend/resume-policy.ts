// nextStep is the one rule for a Backend's event stream that failed: where
// delivery resumes, after how long, what onError hears, and when it stops.
// BackendDispatcher applies it for LocalClient and GrpcClient alike, so a
// Backend recovers the same way in-process and over the wire.
//
// - Resume after the last sequence delivered (the new stream may repeat
//   some; the dispatcher skips them), or, before the first, from where
//   delivery began.
// - OUT_OF_RANGE: the journal no longer holds the events after the last one
//   delivered. They are lost, and onError hears so (code out_of_range);
//   delivery resumes by time, from the last delivered event's timestamp,
//   which asks for everything the journal still holds.
// - Back-off: none after an attempt that made progress (delivered an event,
//   or stayed open healthyAfterMs), so a subscriber cut off for falling
//   behind (RESOURCE_EXHAUSTED) catches up at once; then firstDelayMs,
//   doubling up to maxDelayMs, while attempts in a row get nothing (a daemon
//   restarting, a socket gone).
// - Give up: on a failure a retry would only repeat (the source refused the
//   request itself, or the bus is closed: FAILED_PRECONDITION), or after
//   giveUpAfter fruitless attempts in a row (about a minute by default).
// Each failure is reported once, in words saying which of these follows.
import { BerthError, type ErrorCode } from "../errors/berth-error.js";

// ResumeCursor is where a subscription starts: after a sequence, or at a time.
export type ResumeCursor = { sinceSequence: bigint } | { since: Date };

export interface RetryTiming {
  firstDelayMs: number;
  maxDelayMs: number;
  // giveUpAfter is how many fruitless attempts in a row end delivery.
  giveUpAfter: number;
  // healthyAfterMs: an attempt that stayed open this long was working,
  // even if no event came, and resets the count.
  healthyAfterMs: number;
}

export const DEFAULT_RETRY: RetryTiming = { firstDelayMs: 50, maxDelayMs: 2000, giveUpAfter: 30, healthyAfterMs: 10_000 };

// Failures that come back the same however often the request is repeated.
const FINAL: ReadonlySet<ErrorCode> = new Set(["invalid_argument", "not_found", "already_exists", "failed_precondition", "unimplemented"]);

export interface Delivered {
  sequence: bigint;
  timestamp: Date | undefined;
}

export interface FailedAttempt {
  error: unknown;
  // cursor is the one the failed attempt was opened with.
  cursor: ResumeCursor;
  // last is the last event delivered, by any attempt; undefined before the first.
  last: Delivered | undefined;
  // origin is when delivery began: what to ask from by time when nothing
  // was delivered yet.
  origin: Date;
  // progressed: the attempt delivered an event or stayed open healthyAfterMs.
  progressed: boolean;
  // fruitless counts the attempts in a row before this one that got nothing.
  fruitless: number;
}

export type NextStep =
  | { resume: true; cursor: ResumeCursor; delayMs: number; fruitless: number; report: BerthError }
  | { resume: false; report: BerthError };

export function nextStep(attempt: FailedAttempt, timing: RetryTiming = DEFAULT_RETRY): NextStep {
  const cause = BerthError.from(attempt.error);
  if (FINAL.has(cause.code)) {
    return { resume: false, report: new BerthError(cause.code, `event delivery stopped: ${cause.message}`, { cause }) };
  }
  const fruitless = attempt.progressed ? 0 : attempt.fruitless + 1;
  if (fruitless >= timing.giveUpAfter) {
    const message = `event delivery stopped after ${fruitless} failed attempts in a row: ${cause.message}`;
    return { resume: false, report: new BerthError(cause.code, message, { cause }) };
  }
  const delayMs = fruitless === 0 ? 0 : Math.min(timing.firstDelayMs * 2 ** (fruitless - 1), timing.maxDelayMs);
  const after = delayMs > 0 ? ` in ${delayMs} ms` : "";
  const { last } = attempt;
  if (cause.code === "out_of_range") {
    const since = last?.timestamp ?? attempt.origin;
    const lost = last === undefined ? `events since ${since.toISOString()} may be lost` : `events after sequence ${last.sequence} are lost`;
    const message = `${lost}: ${cause.message}; resubscribing since ${since.toISOString()} for what the journal still holds${after}`;
    return { resume: true, cursor: { since }, delayMs, fruitless, report: new BerthError("out_of_range", message, { cause }) };
  }
  const cursor: ResumeCursor = last === undefined ? attempt.cursor : { sinceSequence: last.sequence };
  const message = `event stream failed: ${cause.message}; resubscribing ${describe(cursor)}${after}`;
  return { resume: true, cursor, delayMs, fruitless, report: new BerthError(cause.code, message, { cause }) };
}

function describe(cursor: ResumeCursor): string {
  return "sinceSequence" in cursor ? `after sequence ${cursor.sinceSequence}` : `since ${cursor.since.toISOString()}`;
}
