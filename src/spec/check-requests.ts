// The checks of the requests other than Create, run at the entry of each
// Client method before the container is looked up: bounds on every
// repeated field and string, and enum values inside their known set (proto3
// lets any number through the wire, and an unknown one would otherwise
// match nothing or wait forever).
import { invalidArgument } from "../errors/berth-error.js";
import { quote } from "../errors/quote.js";
import { checkEnum, validateId } from "../errors/validate.js";
import { checkTime } from "./check-timestamp.js";
import { WaitConditionSchema } from "../gen/berth/v1/containers_pb.js";
import { EventTypeSchema, StatusSchema } from "../gen/berth/v1/types_pb.js";
import {
  CONSOLE_SIZE_MAX,
  FILTER_ENUMS_MAX_ENTRIES,
  FILTER_IDS_MAX_ENTRIES,
  LOGS_TAIL_MAX,
  SIGNAL_MAX_BYTES,
  checkCount,
  checkLabels,
  checkText,
} from "./request-limits.js";

// A signal is a decimal number or a name ("9", "KILL", "SIGRTMIN+3"), and
// nothing around it: " 9" is a client's bug to hear of, not to guess at.
const SIGNAL_TEXT = /^(?:\d+|[A-Za-z][A-Za-z0-9]*(?:[+-]\d+)?)$/;

// checkSignalText bounds a signal and checks its form before it is parsed.
export function checkSignalText(signal: number | string): void {
  if (typeof signal !== "string") return;
  checkText("signal", signal, SIGNAL_MAX_BYTES);
  if (!SIGNAL_TEXT.test(signal)) {
    throw invalidArgument(`signal ${quote(signal)} is neither a number nor a name: give a decimal number (9) or a name (SIGKILL, TERM), with no spaces or other characters`);
  }
}

// checkTerminalSize checks a Resize before the process is looked up.
export function checkTerminalSize(width: number, height: number): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= CONSOLE_SIZE_MAX;
  if (!ok(width) || !ok(height)) {
    throw invalidArgument(`terminal size ${width}x${height} is not valid: width and height must be 1 to ${CONSOLE_SIZE_MAX}`);
  }
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

function checkTimeRange(options: { since?: Date; until?: Date }): void {
  checkTime("since", options.since);
  checkTime("until", options.until);
}
