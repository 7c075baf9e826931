// DemoLog prints the demo as it happens: each step's title, the events the
// demo's Backend hears (as they arrive, so they interleave with the steps
// that caused them), and each step's outcome with its duration.
import type { Backend, StateInfo, StateName } from "../backend/backend.js";
import { BerthError } from "../errors/berth-error.js";
import { formatStateChange } from "./format-state-change.js";

const EVENT_DEADLINE_MS = 10_000;

export class DemoLog {
  private readonly heard: Array<{ containerId: string; info: StateInfo }> = [];
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly signal: AbortSignal,
  ) {}

  // backend is libcontainerd's callback interface, printing every event.
  readonly backend: Backend = {
    stateChanged: (containerId, info) => {
      this.heard.push({ containerId, info });
      this.out.write(`    event  ${formatStateChange(containerId, info)}\n`);
      for (const listener of this.listeners) listener();
    },
  };

  // step runs one operation between its title and its outcome line.
  async step<T>(title: string, run: () => Promise<T>, outcome: (result: T) => string): Promise<T> {
    if (this.signal.aborted) throw new BerthError("canceled", "demo interrupted");
    this.out.write(`==> ${title}\n`);
    const started = performance.now();
    const result = await run();
    const ms = performance.now() - started;
    this.out.write(`    ok     ${ms.toFixed(1).padStart(7)} ms  ${outcome(result)}\n`);
    return result;
  }

  note(text: string): void {
    this.out.write(`    ${text}\n`);
  }

  // waitFor returns once the backend has heard the state change. An event
  // that never arrives is a bug the demo must not hide, so it fails after a
  // deadline.
  async waitFor(containerId: string, state: StateName, processId = "init"): Promise<StateInfo> {
    const find = () =>
      this.heard.find((e) => e.containerId === containerId && e.info.state === state && (e.info.processId || "init") === processId);
    let timer: NodeJS.Timeout | undefined;
    let listener: (() => void) | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<StateInfo>((resolve, reject) => {
        listener = () => {
          const found = find();
          if (found !== undefined) resolve(found.info);
        };
        this.listeners.add(listener);
        listener();
        timer = setTimeout(
          () => reject(new BerthError("deadline_exceeded", `no ${state} event for ${containerId}/${processId} within ${EVENT_DEADLINE_MS} ms`)),
          EVENT_DEADLINE_MS,
        );
        onAbort = () => reject(new BerthError("canceled", "demo interrupted"));
        this.signal.addEventListener("abort", onAbort, { once: true });
      });
    } finally {
      clearTimeout(timer);
      if (listener !== undefined) this.listeners.delete(listener);
      if (onAbort !== undefined) this.signal.removeEventListener("abort", onAbort);
    }
  }
}
