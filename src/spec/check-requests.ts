// The checks of the requests other than Create, run at the entry of each
// Client method before the container is looked up: bounds on every
// repeated field and string, and enum values inside their known set (proto3
// lets any number through the wire, and an unknown one would otherwise
// match nothing or wait forever).
import { invalidArgument } from "../errors/berth-error.js";
import { checkEnum, validateId } from "../errors/validate.js";
import { WaitConditionSchema } from "../gen/berth/v1/containers_pb.js";
import { EventTypeSchema, StatusSchema } from "../gen/berth/v1/types_pb.js";
import {
  FILTER_ENUMS_MAX_ENTRIES,
  FILTER_IDS_MAX_ENTRIES,
  LOGS_TAIL_MAX,
  SIGNAL_MAX_BYTES,
  checkCount,
  checkLabels,
  checkText,
} from "./request-limits.js";

// checkSignalText bounds a signal before it is parsed.
export function checkSignalText(signal: number | string): void {
  if (typeof signal === "string") checkText("signal", signal, SIGNAL_MAX_BYTES);
}

export function checkWaitCondition(condition: number | undefined): void {
  if (condition !== undefined) checkEnum("condition", condition, WaitConditionSchema);
}

export function checkListFilter(filter: { statuses?: readonly number[]; labels?: Readonly<Record<string, string>> } | undefined): void {
  const statuses = filter?.statuses ?? [];
  checkCount("statuses", statuses.length, FILTER_ENUMS_MAX_ENTRIES);
  for (const status of statuses) checkEnum("statuses entry", status, StatusSchema, false);
  checkLabels("labels", filter?.labels);
}

export function checkLogOptions(options: { tail?: number; since?: Date; until?: Date }): void {
  const tail = options.tail;
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0 || tail > LOGS_TAIL_MAX)) {
    throw invalidArgument(`tail ${tail} is out of range: give 1 to ${LOGS_TAIL_MAX} lines, or 0 for all`);
  }
  checkTimeRange(options);
}

export function checkSubscribeOptions(options: { containerIds?: readonly string[]; types?: readonly number[]; since?: Date; until?: Date }): void {
  const ids = options.containerIds ?? [];
  checkCount("container_ids", ids.length, FILTER_IDS_MAX_ENTRIES);
  for (const id of ids) validateId(id);
  const types = options.types ?? [];
  checkCount("types", types.length, FILTER_ENUMS_MAX_ENTRIES);
  for (const type of types) checkEnum("types entry", type, EventTypeSchema, false);
  checkTimeRange(options);
}

// A Timestamp out of Date's range (±8.64e15 ms) arrives as an Invalid Date.
function checkTimeRange(options: { since?: Date; until?: Date }): void {
  for (const field of ["since", "until"] as const) {
    const date = options[field];
    if (date !== undefined && Number.isNaN(date.getTime())) {
      throw invalidArgument(`${field} is not a valid time: give a timestamp between the years -271821 and 275760`);
    }
  }
}
