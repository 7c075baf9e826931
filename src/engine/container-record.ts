// ContainerRecord is what the state directory remembers of a container, so
// that a daemon started again can adopt it (restore) or report the exit that
// happened while it was down. Saved atomically; saves never overlap.
import { readFile } from "node:fs/promises";

import type { IdMappings } from "../api/id-mapping.js";
import { failpoint } from "../faults/failpoint.js";
import { writeFileAtomic } from "./atomic-file.js";
import type { HookSet } from "../spec/hook-spec.js";
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
  // created: the init process was never started (a Create with start
  // false, not yet started); it has no pid and no run.
  created?: boolean;
}

// CreatedWith is what a Create was given that the bundle's spec does not
// say plainly, kept for Inspect.
export interface CreatedWith {
  rootfs?: { path?: string; imagePath?: string; readOnly?: boolean };
  mounts?: Array<{ source: string; destination: string; readOnly: boolean }>;
  // hooks: every hook of the container, poststop included (config.json
  // holds all but poststop, which berth runs itself).
  hooks?: HookSet;
  network?: string;
  ports?: Array<{ hostIp: string; hostPort: number; containerPort: number; protocol: string }>;
  dnsServers?: string[];
  // security is the request's SecurityOptions as given; a custom seccomp
  // profile is the spec's linux.seccomp, so only its kind is kept here.
  security?: {
    seccomp: "default" | "unconfined" | "profile";
    capAdd: string[];
    capDrop: string[];
    privileged: boolean;
    devices: Array<{ hostPath: string; containerPath: string; permissions: string }>;
    tmpfs: Array<{ destination: string; options: string[] }>;
    user: string;
  };
  // userns is the container's own user namespace (absent: the host's):
  // its mappings, an auto block included, which no other container gets
  // while this record exists (userns-blocks.ts).
  userns?: UsernsRecord;
  // image is the image the root came from: the reference the request gave
  // (or the built-in busybox's), its id, and the manifest the lease holds.
  image?: { reference: string; id: string; manifest: string };
}

// UsernsRecord is what a record keeps of a container's user namespace.
export interface UsernsRecord extends IdMappings {
  mode: "auto" | "mappings";
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
  // revision counts the changes of the container's configuration and run
  // state (absent in records written before revisions: 0).
  revision?: string;
  // stopSignal is the signal Stop sends first (absent: SIGTERM).
  stopSignal?: string;
  createdWith?: CreatedWith;
  // nextRunStdin: an Update set the next run's stdin (see ManagedContainer).
  nextRunStdin?: boolean;
  // poststopRanFor is the start time (startedAt) of the last run whose
  // poststop hooks have run: a run that ended and is not this one is owed
  // them (see poststop-hooks.ts).
  poststopRanFor?: string;
}

export function exitRecord(exit: ExitInfo | undefined): ProcessRecord["exit"] {
  return exit && { exitCode: exit.exitCode, exitedAt: exit.exitedAt.toISOString(), oomKilled: exit.oomKilled, ...(exit.monitorDied && { monitorDied: true }) };
}

export function exitFromRecord(r: ProcessRecord["exit"]): ExitInfo | undefined {
  return r && { exitCode: r.exitCode, exitedAt: new Date(r.exitedAt), oomKilled: r.oomKilled, monitorDied: r.monitorDied === true };
}

// readRecord reads a record: undefined when there is none, and an error
// saying what is wrong when the file is not a record this daemon can adopt
// (torn, emptied, another version, or missing the fields restore needs).
export async function readRecord(path: string): Promise<ContainerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message})`);
  }
  const why = recordProblem(value);
  if (why !== undefined) throw new Error(`${path} is not a container record: ${why}`);
  return value as ContainerRecord;
}

// recordProblem checks the fields restore relies on, so a damaged record
// is named as such instead of failing somewhere inside restore.
function recordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "not a JSON object";
  if (value["version"] !== 1) return `version ${JSON.stringify(value["version"])}, not 1`;
  if (!isObject(value["labels"])) return "no labels";
  if (typeof value["createdAt"] !== "string") return "no createdAt";
  if (!Array.isArray(value["execs"])) return "no execs";
  for (const p of [value["init"], ...(value["execs"] as unknown[])]) {
    if (!isObject(p) || typeof p["id"] !== "string" || !Array.isArray(p["args"]) || typeof p["pid"] !== "number") return "a process without id, args or pid";
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
