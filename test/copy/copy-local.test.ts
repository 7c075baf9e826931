import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { copyContract } from "./copy-contract.js";

let daemon: TestDaemon;

copyContract(
  "LocalClient",
  async () => {
    daemon = await startTestDaemon("copy-local", { serve: false });
    return { daemon, client: await daemon.remote.client(undefined, { namespace: daemon.namespace }) };
  },
  () => daemon.stop(),
);
