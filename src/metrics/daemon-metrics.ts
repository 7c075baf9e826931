// DaemonMetrics is the daemon's Prometheus registry (prom-client). What the
// daemon already counts (the event bus's totals, its containers) is read at
// scrape time through MetricSources, so nothing on the hot path changes for
// it; the one thing timed per call is an RPC, through rpcTimer, whose
// children are made once per method and code and then only observe.
import * as prom from "prom-client";

// Event type numbers that metrics name on their own (events.proto).
export interface EventTypeNumbers {
  oom: number;
  startProcess: number;
  restore: number;
}

export interface MetricSources {
  // containers lists every container's namespace and status name.
  containers(): Promise<Array<{ namespace: string; state: string }>>;
  subscribers(): number;
  events: {
    readonly publishedByType: readonly number[];
    readonly delivered: number;
    readonly dropped: number;
    readonly cutOff: number;
    // monitorDeaths counts exits whose monitor died without recording them.
    readonly monitorDeaths: number;
  };
  eventTypeName(type: number): string;
  types: EventTypeNumbers;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

// RpcTimer records one finished RPC.
export interface RpcTimer {
  observe(service: string, method: string, code: string, seconds: number): void;
}

export class DaemonMetrics implements RpcTimer {
  readonly registry = new prom.Registry();
  readonly #rpc: prom.Histogram<"service" | "method" | "code">;
  // Children by "service/method" then code, so a call allocates nothing.
  readonly #children = new Map<string, Map<string, prom.Histogram.Internal<"service" | "method" | "code">>>();
  readonly #denied: prom.Counter<"namespace">;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.#denied = new prom.Counter({
      name: "berth_permission_denied_total",
      help: "Calls refused by authorization, by the namespace they asked for (* for all, empty for the daemon's own)",
      labelNames: ["namespace"],
      registers,
    });
    prom.collectDefaultMetrics({ register: this.registry, prefix: "berth_" });
    this.#rpc = new prom.Histogram({
      name: "berth_rpc_duration_seconds",
      help: "RPCs served, by service, method and status code, with their latency",
      labelNames: ["service", "method", "code"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new prom.Gauge({
      name: "berth_containers",
      help: "Containers by namespace and state",
      labelNames: ["namespace", "state"],
      registers,
      async collect() {
        this.reset();
        for (const c of await sources.containers()) this.inc({ namespace: c.namespace, state: c.state });
      },
    });
    new prom.Gauge({
      name: "berth_event_subscribers",
      help: "Event subscribers attached now",
      registers,
      collect() {
        this.set(sources.subscribers());
      },
    });
    const counterOf = (name: string, help: string, read: () => number) =>
      new prom.Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const published = (type: number) => sources.events.publishedByType[type] ?? 0;
    new prom.Counter({
      name: "berth_events_published_total",
      help: "Events published, by type",
      labelNames: ["type"],
      registers,
      collect() {
        this.reset();
        sources.events.publishedByType.forEach((n, type) => n !== undefined && this.inc({ type: sources.eventTypeName(type) }, n));
      },
    });
    counterOf("berth_events_delivered_total", "Events handed to subscribers", () => sources.events.delivered);
    counterOf("berth_events_dropped_total", "Events dropped with a subscriber cut off for falling behind", () => sources.events.dropped);
    counterOf("berth_event_subscribers_cut_off_total", "Subscribers cut off for falling behind", () => sources.events.cutOff);
    counterOf("berth_restores_total", "Containers restored after a daemon start", () => published(sources.types.restore));
    counterOf("berth_ooms_total", "OOM kills seen in containers", () => published(sources.types.oom));
    counterOf("berth_execs_total", "Processes exec'd into containers", () => published(sources.types.startProcess));
    counterOf("berth_monitor_deaths_total", "Processes whose monitor (conmon) died without recording the exit", () => sources.events.monitorDeaths);
  }

  // denied counts one call that authorization refused.
  denied(namespace: string): void {
    this.#denied.inc({ namespace });
  }

  observe(service: string, method: string, code: string, seconds: number): void {
    const key = `${service}/${method}`;
    let byCode = this.#children.get(key);
    if (byCode === undefined) this.#children.set(key, (byCode = new Map()));
    let child = byCode.get(code);
    if (child === undefined) byCode.set(code, (child = this.#rpc.labels(service, method, code)));
    child.observe(seconds);
  }

  // text is the exposition a scrape gets, and contentType its header.
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
