// The API's messages for networks and their endpoints.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

import { NetworkEndpointSchema, NetworkSchema, type Network, type NetworkEndpoint } from "../gen/berth/v1/networks_pb.js";
import { NetworkAttachmentSchema, PortBindingSchema } from "../gen/berth/v1/types_pb.js";
import type { NetworkDef } from "./network-def.js";
import type { NetworkState } from "./network-state.js";

export function networkMessage(def: NetworkDef, isDefault: boolean): Network {
  return create(NetworkSchema, {
    name: def.name,
    bridge: def.bridge,
    subnet: def.subnet,
    gateway: def.gateway,
    ipv6Subnet: def.ipv6Subnet ?? "",
    ipv6Gateway: def.ipv6Gateway ?? "",
    internal: def.internal,
    isDefault,
    createdAt: timestampFromDate(new Date(def.createdAt)),
  });
}

export function endpointMessage(s: NetworkState): NetworkEndpoint {
  return create(NetworkEndpointSchema, {
    namespace: s.namespace,
    containerId: s.containerId,
    attachment: s.attached?.attachment && create(NetworkAttachmentSchema, s.attached.attachment),
    ports: (s.attached?.ports ?? []).map((p) => create(PortBindingSchema, p)),
  });
}
