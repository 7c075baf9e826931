// ContainerRecord is what the state directory remembers of a container, so
// that a daemon started again can adopt it (restore) or report the exit that
// happened while it was down. Saved atomically; saves never overlap.
import { readFile } from "node:fs/promises";

import { writeFileAtomic } from "./atomic-file.js";
import type { ExitInfo } from "./managed-process.js";

export interface ProcessRecord {
  id: string;
  args: string[];
  terminal: boolean;
  // stdin is absent in records written before stdin was recorded.
  stdin?: boolean;
  pid: number;
  startedAt?: string;
  exit?: { exitCode: number; exitedAt: string; oomKilled: boolean };
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
}

export function exitRecord(exit: ExitInfo | undefined): ProcessRecord["exit"] {
  return exit && { exitCode: exit.exitCode, exitedAt: exit.exitedAt.toISOString(), oomKilled: exit.oomKilled };
}

export function exitFromRecord(r: ProcessRecord["exit"]): ExitInfo | undefined {
  return r && { exitCode: r.exitCode, exitedAt: new Date(r.exitedAt), oomKilled: r.oomKilled };
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
export class RecordWriter {
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => ContainerRecord,
  ) {}

  save(): Promise<void> {
    if (this.writing) {
      this.dirty = true;
      return this.writing;
    }
    this.writing = (async () => {
      try {
        do {
          this.dirty = false;
          await writeFileAtomic(this.path, JSON.stringify(this.snapshot()));
        } while (this.dirty);
      } finally {
        this.writing = undefined;
      }
    })();
    return this.writing;
  }

  // idle resolves once no write is in flight.
  async idle(): Promise<void> {
    while (this.writing) await this.writing.catch(() => {});
  }
}
