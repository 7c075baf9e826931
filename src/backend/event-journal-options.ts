// Settings of the event journal, with their defaults and checks.
import { invalidArgument } from "../errors/berth-error.js";

export interface EventJournalOptions {
  // segmentEvents is how many events one segment file holds (default 4096).
  segmentEvents?: number;
  // maxEvents bounds the events held on disk (default 65536); the oldest
  // segment is dropped once the total passes it.
  maxEvents?: number;
  // tailEvents is the size of the in-memory ring (default 8192).
  tailEvents?: number;
  // flushIntervalMs is how long appended events may wait before a batch
  // write (default 0: events are delivered only once durable, so every
  // millisecond here is added to each event's latency; batches still form
  // by themselves while a write is in flight).
  flushIntervalMs?: number;
  // fsync makes every batch durable before it counts as written (default true).
  fsync?: boolean;
  // logger receives background write failures and recovery notes (default console).
  logger?: Pick<Console, "warn" | "error">;
}

export type EventJournalSettings = Required<EventJournalOptions>;

// journalSettings fills in defaults and rejects settings the journal cannot
// honour, before any file is touched.
export function journalSettings(options: EventJournalOptions): EventJournalSettings {
  const settings = {
    segmentEvents: options.segmentEvents ?? 4096,
    maxEvents: options.maxEvents ?? 65536,
    tailEvents: options.tailEvents ?? 8192,
    flushIntervalMs: options.flushIntervalMs ?? 0,
    fsync: options.fsync ?? true,
    logger: options.logger ?? console,
  };
  for (const key of ["segmentEvents", "maxEvents", "tailEvents"] as const) {
    if (!Number.isSafeInteger(settings[key]) || settings[key] < 1) throw invalidArgument(`${key} must be a positive integer`);
  }
  if (settings.maxEvents < settings.segmentEvents) throw invalidArgument("maxEvents must be at least segmentEvents");
  if (!(settings.flushIntervalMs >= 0)) throw invalidArgument("flushIntervalMs must not be negative");
  return settings;
}
