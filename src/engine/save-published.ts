// savePublished saves a container's record after an event was published
// that cannot be taken back (a start, a start-process, an exit, a restore).
// The caller's call must not fail then: the event stream already tells the
// truth, and the journal delivers it as soon as it can write it. A record
// that cannot be saved yet (the journal or the record's disk is full) only
// lags: restore replays the journal's later events onto it. So the save is
// tried again with a growing pause, for waitMs before the caller goes on,
// then behind it until it succeeds or the container is gone; the first
// failure is reported once.
import { BerthError } from "../errors/berth-error.js";
import type { ManagedContainer } from "./managed-container.js";

// How long a call that published a start waits for its record before it
// answers anyway: long enough for a journal that retries a full disk to
// get through a short stall, so a caller told OK is told it durably.
export const PUBLISHED_SAVE_WAIT_MS = 5000;

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5000;

// savePublished resolves true once the record is saved, or false when
// waitMs passed first (the saving goes on behind).
export async function savePublished(c: ManagedContainer, what: string, waitMs: number): Promise<boolean> {
  let reported = false;
  const report = (err: unknown) => {
    if (reported) return;
    reported = true;
    c.ctx.reportError(new BerthError("internal", `container ${c.namespace}/${c.id}: ${what}, but its record cannot be saved yet (will retry): ${(err as Error).message}`, { cause: err }));
  };
  const saved = await retrySave(c, Date.now() + waitMs, report);
  if (!saved) void retrySave(c, Infinity, report);
  return saved;
}

// retrySave saves c's record, again and again with a growing pause, until
// it succeeds (true), the deadline passes, or the container is gone.
async function retrySave(c: ManagedContainer, deadlineMs: number, onError: (err: unknown) => void): Promise<boolean> {
  for (let delayMs = FIRST_RETRY_MS; ; delayMs = Math.min(delayMs * 2, MAX_RETRY_MS)) {
    try {
      await c.record.save();
      return true;
    } catch (err) {
      onError(err);
    }
    if (c.removed || c.ctx.closed || Date.now() + delayMs > deadlineMs) return false;
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
  }
}
