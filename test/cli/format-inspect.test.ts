import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";

import { inspectJson } from "../../src/cli/format-inspect.js";
import { ContainerConfigSchema, ContainerSchema } from "../../src/gen/berth/v1/types_pb.js";

const container = create(ContainerSchema, { id: "web", namespace: "ns", revision: 7n, stopSignal: "SIGTERM" });
const spec = { ociVersion: "1.0.2", process: { args: ["sh"] } };

describe("inspectJson", () => {
  it("prints the messages as proto3 JSON, zeros included, and the bundle's spec as an object", () => {
    const config = create(ContainerConfigSchema, {
      hostname: "web",
      mounts: [{ source: "/srv", destination: "/srv", readOnly: true }],
      ociSpecJson: new TextEncoder().encode(JSON.stringify(spec)),
    });
    const json = inspectJson({ container, config, sizeRwBytes: 4096n });
    expect(json).toMatchObject({
      container: { id: "web", namespace: "ns", revision: "7", stopSignal: "SIGTERM", pid: 0, status: "STATUS_UNSPECIFIED" },
      config: { hostname: "web", mounts: [{ source: "/srv", destination: "/srv", readOnly: true }], ociSpec: spec },
      sizeRwBytes: "4096",
    });
    expect(json["config"]).not.toHaveProperty("ociSpecJson");
  });

  it("leaves sizeRwBytes out when not asked for, and the spec out when there is none", () => {
    const json = inspectJson({ container, config: create(ContainerConfigSchema) });
    expect(json).not.toHaveProperty("sizeRwBytes");
    expect(json["config"]).not.toHaveProperty("ociSpec");
    expect(json["config"]).not.toHaveProperty("ociSpecJson");
  });

  it("keeps a spec that does not parse as the base64 the daemon sent", () => {
    const config = create(ContainerConfigSchema, { ociSpecJson: new TextEncoder().encode("{not json") });
    expect(inspectJson({ container, config })["config"]).toMatchObject({ ociSpecJson: Buffer.from("{not json").toString("base64") });
  });
});
