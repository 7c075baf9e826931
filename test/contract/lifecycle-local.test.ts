import { LocalClient } from "../../src/client/local-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { lifecycleContract } from "./lifecycle-contract.js";

let daemon: TestDaemon;

lifecycleContract(
  "in-process LocalClient",
  async () => {
    daemon = await startTestDaemon("life-local", { serve: false });
    return { daemon, client: async (backend, namespace) => (await daemon.remote.client(backend, { namespace: namespace ?? daemon.namespace })) as LocalClient };
  },
  () => daemon.stop(),
);
