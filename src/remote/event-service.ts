// EventService adapts Subscribe to the Client of the caller's namespace. The
// call's signal goes to the Client, so a cancelled, deadlined or shut-down
// call stops the subscription at its source.
import type { ServiceImpl } from "@connectrpc/connect";
import { EventService } from "../gen/berth/v1/events_pb.js";
import { dateOf } from "./container-service.js";
import { clientForCall, type ClientResolver } from "./namespace.js";
import { streamWithStatus } from "./with-status.js";

export function eventService(deps: ClientResolver): ServiceImpl<typeof EventService> {
  return {
    subscribe: streamWithStatus(async function* (req, ctx) {
      const events = clientForCall(deps, ctx).subscribe({
        containerIds: req.containerIds,
        types: req.types,
        sinceSequence: req.sinceSequence,
        since: dateOf("since", req.since),
        until: dateOf("until", req.until),
        allNamespaces: req.allNamespaces,
        signal: ctx.signal,
      });
      for await (const event of events) yield { event };
    }),
  };
}
