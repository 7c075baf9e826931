// rpcInventory lists every RPC the .proto files declare, so the suite can
// fail when one exists that it does not cover: a new RPC cannot slip past.
import { fileURLToPath } from "node:url";
import * as protoLoader from "@grpc/proto-loader";

export const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));
export const PROTO_FILES = ["berth/v1/containers.proto", "berth/v1/events.proto", "berth/v1/system.proto", "berth/v1/networks.proto", "berth/v1/images.proto"];

export interface RpcInfo {
  // name is "<Service>/<Method>", e.g. "ContainerService/Create".
  name: string;
  service: string;
  method: string;
  // path is the HTTP path, "/berth.v1.<Service>/<Method>".
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

export function rpcInventory(): RpcInfo[] {
  const definition = protoLoader.loadSync(PROTO_FILES, { includeDirs: [PROTO_DIR] });
  const rpcs: RpcInfo[] = [];
  for (const [fullName, desc] of Object.entries(definition)) {
    if (!fullName.startsWith("berth.v1.") || "format" in desc) continue;
    const service = fullName.slice("berth.v1.".length);
    for (const [method, m] of Object.entries(desc as protoLoader.ServiceDefinition)) {
      rpcs.push({ name: `${service}/${method}`, service, method, path: m.path, requestStream: m.requestStream, responseStream: m.responseStream });
    }
  }
  return rpcs.sort((a, b) => a.name.localeCompare(b.name));
}

// enumNumbers lists the numbers an enum declares, read from the .proto
// files ("Status", "WaitCondition", "EventType", "RestartPolicy.Kind"), so a
// value added there is valid here too.
export function enumNumbers(name: string): number[] {
  const definition = protoLoader.loadSync(PROTO_FILES, { includeDirs: [PROTO_DIR] });
  const [outer, inner] = name.split(".") as [string, string | undefined];
  const desc = definition[`berth.v1.${outer}`] as unknown as { type: { value?: Array<{ number: number }>; enumType?: Array<{ name: string; value: Array<{ number: number }> }> } };
  if (desc === undefined) throw new Error(`no enum berth.v1.${name} in the .proto files`);
  const values = inner === undefined ? desc.type.value : desc.type.enumType?.find((e) => e.name === inner)?.value;
  if (values === undefined) throw new Error(`no enum berth.v1.${name} in the .proto files`);
  return values.map((v) => v.number);
}
