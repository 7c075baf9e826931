// Remote.updateOptions changes a running daemon's settings, and says what to
// fix when it cannot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";

describe("Remote.updateOptions", () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startTestDaemon("opts", { serve: false });
  });
  afterAll(() => daemon.stop());

  it("refuses a log size that is not a whole number of bytes of at least 4096", async () => {
    await expect(daemon.remote.updateOptions({ logSizeMax: 10 })).rejects.toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/at least 4096/) });
    await expect(daemon.remote.updateOptions({ logSizeMax: 1.5e4 + 0.5 })).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(daemon.remote.updateOptions({ logSizeMax: 1 << 20 })).resolves.toBeUndefined();
  });

  // A Remote that only connects reaches its daemon through the
  // UpdateOptions RPC (test/remote/daemon-logs.test.ts); with no daemon
  // there, it says so.
  it("is UNAVAILABLE on a Remote that connects to a socket where no daemon answers", async () => {
    const remote = await Remote.connect({ socketPath: "/nonexistent/berth.sock" });
    await expect(remote.updateOptions({ logSizeMax: 1 << 20 })).rejects.toMatchObject({ code: "unavailable" });
  });
});
