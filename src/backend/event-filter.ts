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
  let typeMask = 0;
  for (const type of options.types ?? []) {
    if (!Number.isInteger(type) || type < 0 || type > 30) throw invalidArgument(`unknown event type ${type}`);
    typeMask |= 1 << type;
  }
  const sinceMs = options.since?.getTime();
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw invalidArgument("since is not a valid time");
  return (event) =>
    (namespace === undefined || event.namespace === namespace) &&
    (ids === undefined || ids.has(event.containerId)) &&
    (typeMask === 0 || (typeMask & (1 << event.type)) !== 0) &&
    (sinceMs === undefined || eventTimeMs(event) >= sinceMs);
}

// eventTimeMs is an event's timestamp in milliseconds since the epoch.
export function eventTimeMs(event: Event): number {
  return event.timestamp === undefined ? 0 : timestampMs(event.timestamp);
}
