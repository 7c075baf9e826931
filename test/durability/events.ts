// Reading a daemon's events in durability tests: a resumable collector that
// keeps every event it was sent, in order, across daemon restarts.
import type { Client } from "../../src/client/client.js";
import { stateName } from "../../src/backend/backend.js";
import type { Event } from "../../src/client/types.js";
import { isBerthError } from "../../src/errors/berth-error.js";

// describe renders an event as "<container>:<state>:<process>:<exit code>".
export function describe(e: Event): string {
  return `${e.containerId}:${stateName(e.type)}:${e.processId}:${e.exitCode}${e.monitorDied ? ":monitor-died" : ""}`;
}

// readEvents reads the events after since until none has come for quietMs
// (bounded by maxMs in all).
export async function readEvents(client: Client, since: bigint, quietMs = 500, maxMs = 15_000): Promise<Event[]> {
  const out: Event[] = [];
  const stop = new AbortController();
  let timer = setTimeout(() => stop.abort(), quietMs);
  const hardStop = setTimeout(() => stop.abort(), maxMs);
  try {
    for await (const e of client.subscribe({ sinceSequence: since, signal: stop.signal })) {
      out.push(e);
      clearTimeout(timer);
      timer = setTimeout(() => stop.abort(), quietMs);
    }
  } catch (err) {
    if (!stop.signal.aborted && !isBerthError(err, "canceled")) throw err;
  } finally {
    clearTimeout(timer);
    clearTimeout(hardStop);
  }
  return out;
}

// EventLog follows one daemon after another: it subscribes from the last
// sequence it holds, keeps what arrives until the daemon dies, and checks
// that no sequence ever arrives twice or out of order.
export class EventLog {
  readonly events: Event[] = [];
  // problems lists every sequence that came twice or out of order.
  readonly problems: string[] = [];
  // ends lists why each followed stream ended other than by unfollow.
  readonly ends: string[] = [];
  // following is true while a stream is being read.
  following = false;
  private reader: Promise<void> | undefined;
  private stop: AbortController | undefined;

  get lastSequence(): bigint {
    return this.events.at(-1)?.sequence ?? 0n;
  }

  // follow starts reading from a daemon; the read ends when that daemon
  // dies (the stream fails) or unfollow is called.
  follow(client: Client): void {
    const stop = new AbortController();
    this.stop = stop;
    this.following = true;
    this.reader = (async () => {
      try {
        for await (const e of client.subscribe({ sinceSequence: this.lastSequence, signal: stop.signal })) this.add(e);
      } catch (err) {
        // The daemon went away; the next follow resumes from here.
        if (!stop.signal.aborted) this.ends.push(`after ${this.lastSequence}: ${String((err as Error)?.message ?? err)}`);
      } finally {
        if (this.stop === stop) this.following = false;
      }
    })();
  }

  async unfollow(): Promise<void> {
    this.stop?.abort();
    await this.reader;
  }

  // waitFor polls until pred holds over the events, failing after ms.
  async waitFor(pred: (events: Event[]) => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events:\n${this.events.map(describe).join("\n")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  of(containerId: string): string[] {
    return this.events.filter((e) => e.containerId === containerId).map(describe);
  }

  private add(e: Event): void {
    const last = this.lastSequence;
    if (e.sequence <= last) this.problems.push(`event ${e.sequence} arrived after ${last}: ${describe(e)}`);
    else this.events.push(e);
  }
}
