// nextStep, the relay's resume policy, as a table: where it resumes, how long
// it waits, what it reports, and when it stops.
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY, nextStep, type FailedAttempt } from "../../src/backend/resume-policy.js";
import { BerthError, type ErrorCode } from "../../src/errors/berth-error.js";

const origin = new Date("2026-01-01T00:00:00Z");
const at = new Date("2026-01-01T00:00:09Z");

function attempt(code: ErrorCode, over: Partial<FailedAttempt> = {}): FailedAttempt {
  return { error: new BerthError(code, "it broke"), cursor: { sinceSequence: 3n }, last: undefined, origin, progressed: false, fruitless: 0, ...over };
}

describe("nextStep", () => {
  it("resumes after the last delivered sequence, at once when the attempt made progress", () => {
    const step = nextStep(attempt("resource_exhausted", { last: { sequence: 9n, timestamp: at }, progressed: true, fruitless: 4 }));
    expect(step).toMatchObject({ resume: true, cursor: { sinceSequence: 9n }, delayMs: 0, fruitless: 0 });
    expect(step.report.message).toBe("event stream failed: it broke; resubscribing after sequence 9");
    expect(step.report.code).toBe("resource_exhausted");
  });

  it("keeps the attempt's own cursor while nothing was delivered", () => {
    expect(nextStep(attempt("unavailable", { cursor: { since: origin } }))).toMatchObject({ resume: true, cursor: { since: origin } });
  });

  it("doubles the wait from 50 ms up to 2 s over fruitless attempts in a row", () => {
    const delays = Array.from({ length: 9 }, (_, fruitless) => {
      const step = nextStep(attempt("unavailable", { fruitless }));
      return step.resume ? step.delayMs : "stop";
    });
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  it("gives up after 30 fruitless attempts in a row, naming the last failure", () => {
    expect(nextStep(attempt("unavailable", { fruitless: DEFAULT_RETRY.giveUpAfter - 2 })).resume).toBe(true);
    const step = nextStep(attempt("unavailable", { fruitless: DEFAULT_RETRY.giveUpAfter - 1 }));
    expect(step.resume).toBe(false);
    expect(step.report.message).toBe("event delivery stopped after 30 failed attempts in a row: it broke");
    expect(step.report.code).toBe("unavailable");
  });

  it.each(["invalid_argument", "not_found", "already_exists", "failed_precondition", "unimplemented"] as const)(
    "stops at once on %s, which a retry would repeat",
    (code) => {
      const step = nextStep(attempt(code, { progressed: true }));
      expect(step).toMatchObject({ resume: false });
      expect(step.report).toMatchObject({ code, message: "event delivery stopped: it broke" });
    },
  );

  it.each(["resource_exhausted", "unavailable", "internal", "canceled", "deadline_exceeded", "aborted"] as const)("retries %s", (code) => {
    expect(nextStep(attempt(code)).resume).toBe(true);
  });

  it("on OUT_OF_RANGE reports the loss and resumes by time from the last delivered event", () => {
    const step = nextStep(attempt("out_of_range", { last: { sequence: 9n, timestamp: at }, progressed: true }));
    expect(step).toMatchObject({ resume: true, cursor: { since: at }, delayMs: 0 });
    expect(step.report.code).toBe("out_of_range");
    expect(step.report.message).toBe(`events after sequence 9 are lost: it broke; resubscribing since ${at.toISOString()} for what the journal still holds`);
  });

  it("on OUT_OF_RANGE before any event, asks from where delivery began", () => {
    const step = nextStep(attempt("out_of_range"));
    expect(step).toMatchObject({ resume: true, cursor: { since: origin }, delayMs: 50 });
    expect(step.report.message).toMatch(/^events since 2026-01-01T00:00:00.000Z may be lost: it broke; /);
  });

  it("takes any thrown value as the cause, an unknown one as internal", () => {
    const step = nextStep(attempt("unavailable", { error: new Error("socket hang up") }));
    expect(step.report).toMatchObject({ code: "internal", message: "event stream failed: socket hang up; resubscribing after sequence 3 in 50 ms" });
  });
});
