// Remote.start compiles the oci_spec_json schema before its socket
// listens, so the first Create with a spec does not stall the event loop
// for the compile (150 ms idle, up to 900 ms under load) while other
// clients wait.
import { afterAll, describe, expect, it } from "vitest";

import { ociSpecValidatorReady } from "../../src/spec/validate-oci-spec.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

let daemon: TestDaemon | undefined;

afterAll(async () => {
  await daemon?.stop();
});

describe("Remote.start", () => {
  it("has the schema compiled before it serves", async () => {
    expect(ociSpecValidatorReady()).toBe(false);
    daemon = await startTestDaemon("schema");
    expect(ociSpecValidatorReady()).toBe(true);
  });
});
