// interruptSignal turns Ctrl-C (SIGINT) and SIGTERM into an AbortSignal, so
// that a command following a stream (logs -f, events) ends its call cleanly
// instead of dying with the connection open. dispose restores Node's default
// handling.
export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export function interruptSignal(): Interrupt {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => controller.abort(name);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
