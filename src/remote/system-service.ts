// SystemService describes the daemon. Ping does no work at all, so its
// latency is the RPC floor.
import type { ServiceImpl } from "@connectrpc/connect";
import { SystemService, type InfoResponse } from "../gen/berth/v1/system_pb.js";
import type { VersionInfo } from "../api/version-info.js";
import { withStatus } from "./with-status.js";

export interface VersionSource {
  version(): Promise<VersionInfo>;
}

export interface InfoSource {
  info(): Promise<InfoResponse>;
}

export type SystemDeps = VersionSource & InfoSource;

export function systemService(deps: SystemDeps): ServiceImpl<typeof SystemService> {
  return {
    version: withStatus(async () => deps.version()),
    ping: async () => ({}),
    info: withStatus(async () => deps.info()),
  };
}
