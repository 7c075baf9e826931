import type { LocalClient } from "../../src/client/local-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { securityContract } from "./security-contract.js";

let daemon: TestDaemon;

securityContract(
  "in-process LocalClient",
  async () => {
    daemon = await startTestDaemon("sec-local", { serve: false });
    return { daemon, client: async (backend, namespace) => (await daemon.remote.client(backend, { namespace: namespace ?? daemon.namespace })) as LocalClient };
  },
  () => daemon.stop(),
);
