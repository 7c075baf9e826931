import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { imageContract } from "./image-contract.js";

let daemon: TestDaemon;

imageContract(
  "LocalClient",
  async () => {
    daemon = await startTestDaemon("image-local", { serve: false });
    return { daemon, client: await daemon.remote.client(undefined, { namespace: daemon.namespace }) };
  },
  () => daemon.stop(),
);
