// inspectJson is what `berth inspect` prints for one container: the
// messages as proto3 JSON, but the bundle's config.json as the object it
// is, not base64 bytes, since that is what someone inspecting reads.
import { toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";

import type { InspectResult } from "../client/client.js";
import { ContainerConfigSchema, ContainerSchema } from "../gen/berth/v1/types_pb.js";

export function inspectJson(result: InspectResult): JsonObject {
  // Zeros too, as for info --json: a script reading exitCode finds 0.
  const options = { alwaysEmitImplicit: true };
  const { ociSpecJson, ...config } = toJson(ContainerConfigSchema, result.config, options) as JsonObject;
  const ociSpec = parseSpec(result.config.ociSpecJson);
  return {
    container: toJson(ContainerSchema, result.container, options),
    config: {
      ...config,
      // A spec that does not parse stays as the daemon sent it, so inspect
      // still shows everything.
      ...(ociSpec !== undefined ? { ociSpec } : ociSpecJson !== "" && ociSpecJson !== undefined && { ociSpecJson }),
    },
    // uint64 in proto3 JSON is a string; the same here.
    ...(result.sizeRwBytes !== undefined && { sizeRwBytes: String(result.sizeRwBytes) }),
  };
}

function parseSpec(bytes: Uint8Array): JsonValue | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as JsonValue;
  } catch {
    return undefined;
  }
}
