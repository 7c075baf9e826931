// SystemService describes the daemon. Ping does no work at all, so its
// latency is the RPC floor.
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { SystemService, type InfoResponse, type UpdateOptionsRequest } from "../gen/berth/v1/system_pb.js";
import type { VersionInfo } from "../api/version-info.js";
import { withStatus } from "./with-status.js";
import type { ClientResolver } from "./namespace.js";
import { checkLogSizeMax } from "../spec/daemon-options.js";
import { DEFAULT_NAMESPACE } from "../wire/namespace-header.js";

export interface VersionSource {
  version(): Promise<VersionInfo>;
}

export interface InfoSource {
  info(): Promise<InfoResponse>;
}

export type SystemDeps = VersionSource & InfoSource & ClientResolver;

export function systemService(deps: SystemDeps): ServiceImpl<typeof SystemService> {
  return {
    version: withStatus(async () => deps.version()),
    ping: async () => ({}),
    info: withStatus(async () => deps.info()),
    // The daemon's settings belong to no namespace: any client serves.
    updateOptions: withStatus(async (req: UpdateOptionsRequest, _ctx: HandlerContext) => {
      const { logLevel } = req;
      const max = req.logSizeMax === undefined ? undefined : checkLogSizeMax(req.logSizeMax);
      const now = await deps.clientFor(DEFAULT_NAMESPACE).updateOptions({ ...(logLevel !== undefined && { logLevel }), ...(max !== undefined && { logSizeMax: max }) });
      return { logLevel: now.logLevel, logSizeMax: BigInt(now.logSizeMax) };
    }),
  };
}
