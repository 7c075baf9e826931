// metricSources is what DaemonMetrics reads at scrape time from a daemon
// running here: its containers, its event bus's totals and subscribers.
import { EventType, Status } from "../gen/berth/v1/types_pb.js";
import type { Engine } from "../engine/engine.js";
import type { MetricSources } from "../metrics/daemon-metrics.js";

export function metricSources(engine: Engine): MetricSources {
  return {
    containers: async () => (await engine.listAll()).map((c) => ({ namespace: c.namespace, state: nameOf(Status, c.status, "STATUS_") })),
    subscribers: () => engine.bus.subscriberCount,
    events: engine.bus.counters,
    eventTypeName: (type) => nameOf(EventType, type, "EVENT_TYPE_"),
    types: { oom: EventType.OOM, startProcess: EventType.START_PROCESS, restore: EventType.RESTORE },
  };
}

// nameOf turns an enum number into its lower-case name ("running", "oom").
function nameOf(e: Record<number, string>, value: number, prefix: string): string {
  return (e[value] ?? String(value)).replace(prefix, "").toLowerCase();
}
