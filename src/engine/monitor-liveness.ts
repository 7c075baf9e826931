// A monitor (conmon) can die: killed, OOM-killed, crashed. Then no exit file
// ever comes, and a Wait on the exit watcher alone would hang for ever
// (cri-o #3044). LivenessPoller notices processes that are gone by polling
// /proc (Node has no pidfd), and superviseMonitor turns a dead monitor into
// an honest exit: the code the monitor wrote if it wrote one, the code the
// kernel still holds for a zombie, or 255 flagged monitorDied.
import { probe, type ProcessIdentity } from "./process-identity.js";

// UNKNOWN_EXIT_CODE is reported, flagged, when no one can tell the real one.
export const UNKNOWN_EXIT_CODE = 255;

interface Watch {
  id: ProcessIdentity;
  onGone(exitCode: number | undefined): void;
}

// LivenessPoller checks every watched process once per interval, all in one
// timer, and calls each watch's onGone once when its process is gone.
export class LivenessPoller {
  private readonly watches = new Set<Watch>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  // watch returns a function that cancels the watch.
  watch(id: ProcessIdentity, onGone: (exitCode: number | undefined) => void): () => void {
    const w: Watch = { id, onGone };
    this.watches.add(w);
    this.arm();
    return () => this.watches.delete(w);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watches.clear();
  }

  private arm(): void {
    if (this.timer !== undefined || this.closed || this.watches.size === 0) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    // Polling alone must not keep the process alive.
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const watches = [...this.watches];
    const results = await Promise.all(
      watches.map((w) =>
        probe(w.id).catch((err: unknown) => {
          this.onError(err);
          return { state: "alive" } as const;
        }),
      ),
    );
    this.timer = undefined;
    watches.forEach((w, i) => {
      const result = results[i]!;
      if (result.state === "gone" && this.watches.delete(w)) w.onGone(result.exitCode);
    });
    this.arm();
  }
}

// SupervisedProcess is what superviseMonitor needs to know of one process.
export interface SupervisedProcess {
  // what names the process in messages: "container web" or "process p1 of container web".
  what: string;
  monitor: ProcessIdentity | undefined;
  process: ProcessIdentity | undefined;
  // exitFile reads the exit code the monitor wrote; undefined if none.
  exitFile(): Promise<number | undefined>;
  // exited is true once the exit is known some other way.
  exited(): boolean;
  onExit(exitCode: number, monitorDied: boolean): void;
}

// How long a process without a known monitor may take, once gone, for its
// monitor to write the exit file (it drains the output first).
const EXIT_FILE_GRACE_MS = 2000;

// superviseMonitor watches the monitor of a running process. When the
// monitor is gone: the exit file it wrote, if any, is the exit; otherwise
// the monitor died, which is reported, and the process itself is watched
// until it ends too.
export function superviseMonitor(poller: LivenessPoller, p: SupervisedProcess, reportError: (err: unknown) => void): void {
  const lost = (exitCode: number | undefined) => {
    if (!p.exited()) p.onExit(exitCode ?? UNKNOWN_EXIT_CODE, exitCode === undefined);
  };
  const monitorGone = async () => {
    if (p.exited()) return;
    const code = await p.exitFile();
    if (code !== undefined) return p.exited() || p.onExit(code, false);
    if (p.exited()) return;
    reportError(new Error(`${p.what}: its monitor (conmon pid ${p.monitor?.pid ?? "unknown"}) died without recording the exit; watching the process itself`));
    if (p.process === undefined) return lost(undefined);
    poller.watch(p.process, lost);
  };
  if (p.monitor !== undefined) {
    poller.watch(p.monitor, () => void monitorGone().catch(reportError));
  } else if (p.process !== undefined) {
    // Without the monitor's identity (a record from before it was kept),
    // the process's end is the cue, and the exit file gets a grace period.
    poller.watch(p.process, (zombieCode) => void afterGrace(p, zombieCode).catch(reportError));
  } else {
    void monitorGone().catch(reportError);
  }
}

async function afterGrace(p: SupervisedProcess, zombieCode: number | undefined): Promise<void> {
  const deadline = Date.now() + EXIT_FILE_GRACE_MS;
  while (!p.exited()) {
    const code = await p.exitFile();
    if (code !== undefined) return p.onExit(code, false);
    if (Date.now() > deadline) return p.onExit(zombieCode ?? UNKNOWN_EXIT_CODE, zombieCode === undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
