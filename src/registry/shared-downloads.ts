// SharedDownloads runs one download per blob however many pulls want it at
// once: a second pull of the same layer waits on the first's download and
// hears its progress. The download stops only when every pull waiting on
// it has given up, so one client cancelling never breaks another's pull.
import { canceledBy } from "./http-get.js";

type Listener = (done: number) => void;

interface Download {
  promise: Promise<void>;
  controller: AbortController;
  listeners: Set<Listener>;
  done: number;
}

export class SharedDownloads {
  private readonly running = new Map<string, Download>();

  // join waits for the download of key, starting it when none runs.
  // start gets the download's own signal (aborted when no one waits any
  // more) and a progress callback.
  join(key: string, start: (signal: AbortSignal, progress: Listener) => Promise<void>, listener: Listener, signal: AbortSignal): Promise<void> {
    let download = this.running.get(key);
    if (download === undefined) {
      const controller = new AbortController();
      const created: Download = { controller, listeners: new Set(), done: 0, promise: Promise.resolve() };
      created.promise = start(controller.signal, (done) => {
        created.done = done;
        for (const l of created.listeners) l(done);
      }).finally(() => {
        if (this.running.get(key) === created) this.running.delete(key);
      });
      // Waiters handle the outcome; this keeps an abandoned one quiet.
      created.promise.catch(() => {});
      this.running.set(key, created);
      download = created;
    }
    return this.wait(key, download, listener, signal);
  }

  // waiters says how many pulls wait on the download of key.
  waiters(key: string): number {
    return this.running.get(key)?.listeners.size ?? 0;
  }

  private wait(key: string, download: Download, onBytes: Listener, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(canceledBy(signal));
    // One entry per waiter, even when two pass the same function.
    const listener: Listener = (done) => onBytes(done);
    download.listeners.add(listener);
    if (download.done > 0) listener(download.done);
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        signal.removeEventListener("abort", onAbort);
        download.listeners.delete(listener);
      };
      const onAbort = () => {
        leave();
        if (download.listeners.size > 0) return reject(canceledBy(signal));
        // Abandoned: a pull that comes next starts afresh, and this one
        // ends only once the download has removed what it wrote.
        if (this.running.get(key) === download) this.running.delete(key);
        download.controller.abort(signal.reason);
        download.promise.then(
          () => reject(canceledBy(signal)),
          () => reject(canceledBy(signal)),
        );
      };
      signal.addEventListener("abort", onAbort, { once: true });
      download.promise.then(
        () => {
          if (signal.aborted) return;
          leave();
          resolve();
        },
        (err: unknown) => {
          if (signal.aborted) return;
          leave();
          reject(err);
        },
      );
    });
  }
}
