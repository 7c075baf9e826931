// ContainerRecord is what the state directory remembers of a container, so
// that a daemon started again can adopt it (restore) or report the exit that
// happened while it was down. Saved atomically; saves never overlap.
import { readFile } from "node:fs/promises";

import { writeFileAtomic } from "./atomic-file.js";
import { failpoint } from "./failpoint.js";
import type { ExitInfo } from "./managed-process.js";
import type { ProcessIdentity } from "./process-identity.js";
import type { RestartState } from "./restart-manager.js";

export interface ProcessRecord {
  id: string;
  args: string[];
  terminal: boolean;
  // stdin is absent in records written before stdin was recorded.
  stdin?: boolean;
  pid: number;
  startedAt?: string;
  // startTime and monitor identify the process and its conmon, so a daemon
  // started again can tell whether they still run (absent in older records).
  startTime?: number;
  monitor?: ProcessIdentity;
  exit?: { exitCode: number; exitedAt: string; oomKilled: boolean; monitorDied?: boolean };
}

export interface ContainerRecord {
  version: 1;
  id: string;
  namespace: string;
  createdAt: string;
  labels: Record<string, string>;
  // rootfsMounted says an overlay is mounted at bundle/rootfs and must be
  // unmounted on delete.
  rootfsMounted: boolean;
  init: ProcessRecord;
  execs: ProcessRecord[];
  // sequence is the last event about this container the record reflects;
  // restore applies the journal's later events before it trusts the record.
  sequence?: string;
  // phase is "creating" until start-container is published (restore undoes
  // such a container) and "deleting" once Delete began to remove it
  // (restore finishes the job); absent otherwise.
  phase?: "creating" | "deleting";
  restart?: RestartState;
}

export function exitRecord(exit: ExitInfo | undefined): ProcessRecord["exit"] {
  return exit && { exitCode: exit.exitCode, exitedAt: exit.exitedAt.toISOString(), oomKilled: exit.oomKilled, ...(exit.monitorDied && { monitorDied: true }) };
}

export function exitFromRecord(r: ProcessRecord["exit"]): ExitInfo | undefined {
  return r && { exitCode: r.exitCode, exitedAt: new Date(r.exitedAt), oomKilled: r.oomKilled, monitorDied: r.monitorDied === true };
}

export async function readRecord(path: string): Promise<ContainerRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(path, "utf8")) as ContainerRecord;
    return record.version === 1 ? record : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

// RecordWriter coalesces saves: while one write is in flight, later calls
// mark the record dirty and one more write follows with the newest content.
// Each write first waits for beforeWrite (the event journal's flush): a
// record never gets ahead of the events it reflects, so after a crash the
// journal holds at least what the record says was published.
export class RecordWriter {
  private writing: Promise<void> | undefined;
  private dirty = false;
  private retired = false;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => ContainerRecord,
    private readonly beforeWrite: () => Promise<void> = async () => {},
  ) {}

  save(): Promise<void> {
    if (this.retired) return Promise.resolve();
    if (this.writing) {
      this.dirty = true;
      return this.writing;
    }
    this.writing = (async () => {
      try {
        do {
          this.dirty = false;
          // Snapshot first: events published during the flush are not in it.
          const text = JSON.stringify(this.snapshot());
          await this.beforeWrite();
          failpoint("record:before-write");
          await writeFileAtomic(this.path, text);
        } while (this.dirty && !this.retired);
      } finally {
        this.writing = undefined;
      }
    })();
    return this.writing;
  }

  // retire waits for the write in flight and makes later saves no-ops: the
  // record is about to be removed with its container.
  async retire(): Promise<void> {
    this.retired = true;
    await this.idle();
  }

  // idle resolves once no write is in flight.
  async idle(): Promise<void> {
    while (this.writing) await this.writing.catch(() => {});
  }
}
