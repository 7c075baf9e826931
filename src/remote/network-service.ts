// NetworkService adapts the network RPCs to the Client of the caller's
// namespace (networks are the daemon's; the namespace only says where
// their create and remove events go).
import type { ServiceImpl } from "@connectrpc/connect";
import { NetworkService } from "../gen/berth/v1/networks_pb.js";
import { clientForCall, type ClientResolver } from "./namespace.js";
import { withStatus } from "./with-status.js";

export function networkService(deps: ClientResolver): ServiceImpl<typeof NetworkService> {
  return {
    createNetwork: withStatus(async (req, ctx) => {
      const { $typeName: _type, ...options } = req;
      return { network: await clientForCall(deps, ctx).createNetwork(options) };
    }),
    listNetworks: withStatus(async (_req, ctx) => ({ networks: await clientForCall(deps, ctx).listNetworks() })),
    inspectNetwork: withStatus(async (req, ctx) => clientForCall(deps, ctx).inspectNetwork(req.name)),
    removeNetwork: withStatus(async (req, ctx) => {
      await clientForCall(deps, ctx).removeNetwork(req.name, { force: req.force });
      return {};
    }),
  };
}
