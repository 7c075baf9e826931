// Tracer hands out the Spans of the phase trace: NO_TRACE when the trace is
// off (every span is NO_SPAN), fileTracer when `berth serve --trace FILE`
// or BERTH_TRACE=FILE turned it on.
import { createWriteStream } from "node:fs";

import { NO_SPAN, RecordingSpan, type Span, type SpanRecord } from "./span.js";

export interface Tracer {
  readonly enabled: boolean;
  // begin starts the span of one operation on a container (processId for
  // an exec'd process).
  begin(op: string, namespace: string, id: string, processId?: string): Span;
  // close writes what is buffered and stops tracing.
  close(): Promise<void>;
}

export const NO_TRACE: Tracer = Object.freeze({
  enabled: false,
  begin: (): Span => NO_SPAN,
  close: (): Promise<void> => Promise.resolve(),
});

// recordingTracer sends every finished span to sink.
export function recordingTracer(sink: (record: SpanRecord) => void, close: () => Promise<void> = () => Promise.resolve()): Tracer {
  return {
    enabled: true,
    begin: (op, namespace, id, processId) => new RecordingSpan({ op, namespace, id, ...(processId !== undefined && { processId }) }, sink),
    close,
  };
}

// fileTracer appends each span as one JSON line to path. A file that cannot
// be written is reported once and the trace goes quiet: tracing never fails
// an operation.
export function fileTracer(path: string, onError: (err: unknown) => void): Tracer {
  const out = createWriteStream(path, { flags: "a", mode: 0o600 });
  let broken = false;
  out.on("error", (err) => {
    if (broken) return;
    broken = true;
    onError(new Error(`the phase trace ${path} cannot be written, tracing stops: ${err.message}`));
  });
  return recordingTracer(
    (record) => {
      if (!broken) out.write(`${JSON.stringify(record)}\n`);
    },
    () => new Promise((resolve) => (broken || out.closed ? resolve() : out.end(resolve))),
  );
}
