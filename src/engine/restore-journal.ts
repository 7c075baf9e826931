// The event journal is written ahead of the container records: a record is
// saved only once the events it reflects are durable (RecordWriter waits for
// the journal), and it says which was the last (ContainerRecord.sequence).
// A daemon killed between publishing an event and saving the record leaves
// the event in the journal only. applyJournal replays those events onto the
// record before restore trusts it, so that nothing already published is
// published again and nothing published is forgotten.
import { timestampDate } from "@bufbuild/protobuf/wkt";

import { INIT_PROCESS_ID } from "../errors/validate.js";
import { EventType, type Event } from "../gen/berth/v1/types_pb.js";
import type { ContainerRecord, ProcessRecord } from "./container-record.js";

// JournalFacts are what the journal says happened beyond the record.
export interface JournalFacts {
  // created: a create event was published for this container.
  created: boolean;
  // deleted: a delete event was published; only the files remain to go.
  deleted: boolean;
}

// ExecOrigin is what an exec's folder says of it (args and terminal), for an
// exec the journal knows of and the record does not.
export type ExecOrigin = Pick<ProcessRecord, "args" | "terminal" | "stdin">;

// applyJournal applies events (this container's, after record.sequence, in
// order) to record in place.
export async function applyJournal(
  record: ContainerRecord,
  events: Iterable<Event> | AsyncIterable<Event>,
  execOrigin: (processId: string) => Promise<ExecOrigin | undefined>,
): Promise<JournalFacts> {
  const facts: JournalFacts = { created: false, deleted: false };
  for await (const e of events) {
    record.sequence = e.sequence.toString();
    if (e.revision > BigInt(record.revision ?? "0")) record.revision = e.revision.toString();
    const at = (e.timestamp ? timestampDate(e.timestamp) : new Date()).toISOString();
    const exit = { exitCode: e.exitCode, exitedAt: at, oomKilled: e.oomKilled, ...(e.monitorDied && { monitorDied: true }) };
    switch (e.type) {
      case EventType.CREATE:
        facts.created = true;
        record.init.pid = e.pid;
        break;
      case EventType.START_CONTAINER:
        facts.created = true;
        record.phase = undefined;
        startRun(record.init, e.pid, at);
        break;
      case EventType.RESTART:
        startRun(record.init, e.pid, at);
        if (record.restart !== undefined) record.restart.pendingAt = undefined;
        break;
      case EventType.EXIT:
        record.init.exit = exit;
        break;
      case EventType.START_PROCESS: {
        const origin = await execOrigin(e.processId);
        if (origin === undefined) break;
        const exec: ProcessRecord = { id: e.processId, ...origin, pid: e.pid, startedAt: at };
        const i = record.execs.findIndex((x) => x.id === e.processId);
        if (i < 0) record.execs.push(exec);
        else record.execs[i] = exec;
        break;
      }
      case EventType.EXIT_PROCESS: {
        const exec = record.execs.find((x) => x.id === e.processId && x.exit === undefined);
        if (exec !== undefined) exec.exit = exit;
        break;
      }
      case EventType.DELETE:
        facts.deleted = true;
        break;
      default:
        // pause, resume, restore and oom change nothing the record keeps:
        // the runtime's own state says whether a container is paused.
        break;
    }
  }
  return facts;
}

// startRun records a new run of the init process. Its identities are not in
// the event; restore reads them again from the pid files.
function startRun(init: ProcessRecord, pid: number, at: string): void {
  init.id = INIT_PROCESS_ID;
  init.pid = pid;
  init.startedAt = at;
  init.exit = undefined;
  init.startTime = undefined;
  init.monitor = undefined;
  init.created = undefined;
}

// unansweredCreate reads the whole history of a container id and tells
// whether its newest create is not yet answered by a delete, with the exit
// code the delete should carry: for a container whose record is lost, so
// that removing it still ends its story in the events exactly once.
export async function unansweredCreate(events: Iterable<Event> | AsyncIterable<Event>): Promise<{ exitCode: number; oomKilled: boolean; monitorDied: boolean } | undefined> {
  let open: { exitCode: number; oomKilled: boolean; monitorDied: boolean } | undefined;
  for await (const e of events) {
    if (e.type === EventType.CREATE) open = { exitCode: 0, oomKilled: false, monitorDied: false };
    else if (e.type === EventType.DELETE) open = undefined;
    else if (e.type === EventType.EXIT && open !== undefined) open = { exitCode: e.exitCode, oomKilled: e.oomKilled, monitorDied: e.monitorDied };
  }
  return open;
}
