import type { RpcTimer } from "../metrics/daemon-metrics.js";

// bothTimers hands each finished call to the metrics and the log; with
// neither, calls are not timed at all.
export function bothTimers(a: RpcTimer | undefined, b: RpcTimer | undefined): RpcTimer | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return {
    observe(service, method, code, seconds) {
      a.observe(service, method, code, seconds);
      b.observe(service, method, code, seconds);
    },
  };
}
