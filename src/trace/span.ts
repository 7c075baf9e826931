// A Span times the steps of one daemon operation (a Create, an exec, a
// Delete...) for the phase trace (`berth serve --trace FILE`). The code
// being timed marks the end of each step; a step's time is the wall time
// since the previous mark, so the steps of one span add up to its total
// (less what ran after the last mark). With tracing off every operation
// gets NO_SPAN, whose methods do nothing: no clock read, no allocation.
export interface Span {
  // step ends the step that ran since the span began or the last step
  // ended, under name (a name marked twice adds up). Names are literals at
  // the call sites, so an untraced call passes nothing it had to make.
  step(name: string): void;
  // end ends the span; failed marks an operation that threw.
  end(failed?: unknown): void;
}

export const NO_SPAN: Span = Object.freeze({
  step(): void {},
  end(): void {},
});

// SpanRecord is one finished span, one JSON line of the trace file.
export interface SpanRecord {
  op: string;
  namespace: string;
  id: string;
  processId?: string;
  // at is when the span began (ISO 8601).
  at: string;
  // ms is the span's total wall time.
  ms: number;
  // steps are the marked steps in the order first marked, in ms.
  steps: Record<string, number>;
  error?: string;
}

// RecordingSpan is the Span of a tracer that is on.
export class RecordingSpan implements Span {
  private readonly began = performance.now();
  private last = this.began;
  private readonly steps: Record<string, number> = {};
  private ended = false;

  constructor(
    private readonly head: Pick<SpanRecord, "op" | "namespace" | "id" | "processId">,
    private readonly sink: (record: SpanRecord) => void,
  ) {}

  step(name: string): void {
    const now = performance.now();
    this.steps[name] = (this.steps[name] ?? 0) + (now - this.last);
    this.last = now;
  }

  end(failed?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const ms = performance.now() - this.began;
    const steps: Record<string, number> = {};
    for (const [name, value] of Object.entries(this.steps)) steps[name] = round(value);
    this.sink({
      ...this.head,
      at: new Date(performance.timeOrigin + this.began).toISOString(),
      ms: round(ms),
      steps,
      ...(failed !== undefined && { error: failed instanceof Error ? failed.message : String(failed) }),
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

// traced runs an operation and ends its span when it settles.
export async function traced<T>(span: Span, run: () => Promise<T>): Promise<T> {
  try {
    const value = await run();
    span.end();
    return value;
  } catch (err) {
    span.end(err);
    throw err;
  }
}
