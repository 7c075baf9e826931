// eventFilter compiles a subscriber's criteria into one predicate. It runs
// once per event per subscriber on the publish path, so the checks are
// reduced to a string compare, a Set lookup and a bit test.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Event, EventType } from "../gen/berth/v1/types_pb.js";
import { invalidArgument } from "../errors/berth-error.js";

export type EventPredicate = (event: Event) => boolean;

export interface EventFilterOptions {
  // namespace keeps one namespace's events; undefined keeps all namespaces.
  namespace?: string;
  // containerIds keeps these containers' events; empty or undefined keeps all.
  containerIds?: readonly string[];
  // types keeps events of these types; empty or undefined keeps all.
  types?: readonly EventType[];
  // since keeps events stamped at or after this time.
  since?: Date;
}

export function eventFilter(options: EventFilterOptions): EventPredicate {
  const namespace = options.namespace;
  const ids = options.containerIds !== undefined && options.containerIds.length > 0 ? new Set(options.containerIds) : undefined;
  // A set, not a bit mask: network events are numbered from 30, past what
  // a 32-bit mask holds (1 << 32 is 1 in JavaScript).
  const types = new Set<number>();
  for (const type of options.types ?? []) {
    if (!Number.isInteger(type) || type < 0) throw invalidArgument(`unknown event type ${type}`);
    types.add(type);
  }
  const sinceMs = options.since?.getTime();
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw invalidArgument("since is not a valid time");
  return (event) =>
    (namespace === undefined || event.namespace === namespace) &&
    (ids === undefined || ids.has(event.containerId)) &&
    (types.size === 0 || types.has(event.type)) &&
    (sinceMs === undefined || eventTimeMs(event) >= sinceMs);
}

// eventTimeMs is an event's timestamp in milliseconds since the epoch.
export function eventTimeMs(event: Event): number {
  return event.timestamp === undefined ? 0 : timestampMs(event.timestamp);
}
