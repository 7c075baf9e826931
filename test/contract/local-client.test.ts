import { LocalClient } from "../../src/client/local-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { clientContract } from "./client-contract.js";
import { pausedContract } from "./paused-contract.js";

let daemon: TestDaemon;

clientContract(
  "in-process LocalClient",
  async () => {
    daemon = await startTestDaemon("local", { serve: false });
    return {
      daemon,
      client: async (backend, namespace) => (await daemon.remote.client(backend, { namespace: namespace ?? daemon.namespace })) as LocalClient,
    };
  },
  () => daemon.stop(),
);
pausedContract("in-process LocalClient", async () => ((daemon = await startTestDaemon("local-paused", { serve: false })), { daemon, client: async (backend, namespace) => (await daemon.remote.client(backend, { namespace: namespace ?? daemon.namespace })) as LocalClient }), () => daemon.stop());
