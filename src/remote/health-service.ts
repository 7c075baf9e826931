// Health is gRPC's standard health service (grpc.health.v1), served like
// berth's own services, so one implementation answers gRPC, gRPC-Web and
// Connect (curl -d '{}' .../grpc.health.v1.Health/Check). The maintained
// grpc-health-check package registers on a grpc-js server only; this file is
// small enough to keep both stacks on the one set of handlers.
//
// ServingHealth is the daemon's status: NOT_SERVING from the moment the
// socket listens until restore has finished and the runtime answers,
// SERVING then, and NOT_SERVING again once the daemon starts draining. Every
// service the daemon routes, and "" for the whole server, shares it; any
// other name is unknown (NOT_FOUND from Check, SERVICE_UNKNOWN from Watch).
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { quote } from "../errors/quote.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

export class ServingHealth {
  #status: ServingStatus = ServingStatus.NOT_SERVING;
  readonly #watchers = new Set<() => void>();

  get status(): ServingStatus {
    return this.#status;
  }

  set(status: ServingStatus.SERVING | ServingStatus.NOT_SERVING): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const wake of this.#watchers) wake();
  }

  // changes yields the status now and after each change, until signal
  // aborts. Changes between two reads collapse into the latest, as a health
  // watcher wants the present, not the history.
  async *changes(signal: AbortSignal): AsyncGenerator<ServingStatus> {
    let wake: (() => void) | undefined;
    let changed = false;
    const onChange = () => {
      changed = true;
      wake?.();
    };
    this.#watchers.add(onChange);
    signal.addEventListener("abort", onChange);
    try {
      let last = this.#status;
      yield last;
      while (!signal.aborted) {
        if (!changed) await new Promise<void>((resolve) => (wake = resolve));
        changed = false;
        wake = undefined;
        const now = this.#status;
        if (now !== last) yield (last = now);
      }
    } finally {
      this.#watchers.delete(onChange);
      signal.removeEventListener("abort", onChange);
    }
  }
}

// healthService answers for the services named (and "" for the server).
export function healthService(health: ServingHealth, services: ReadonlySet<string>): ServiceImpl<typeof Health> {
  const known = (service: string) => service === "" || services.has(service);
  return {
    check: async (req) => {
      if (!known(req.service)) {
        throw new ConnectError(`no service ${quote(req.service)}: berth serves ${[...services].join(", ")}`, Code.NotFound);
      }
      return { status: health.status };
    },
    // A Watch ends only with the call: at shutdown with UNAVAILABLE, after
    // the NOT_SERVING that draining sent. A service the daemon does not
    // serve stays SERVICE_UNKNOWN, as the protocol asks.
    watch: async function* (req, ctx: HandlerContext) {
      if (!known(req.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      } else {
        for await (const status of health.changes(ctx.signal)) yield { status };
      }
      throw ConnectError.from(ctx.signal.reason, Code.Unavailable);
    },
  };
}
