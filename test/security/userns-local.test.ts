import type { LocalClient } from "../../src/client/local-client.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { USERNS_TEST_RANGE, usernsContract } from "./userns-contract.js";

let daemon: TestDaemon;

usernsContract(
  "in-process LocalClient",
  async () => {
    daemon = await startTestDaemon("uns-local", { serve: false, subuidRange: `${USERNS_TEST_RANGE.start}:${USERNS_TEST_RANGE.count}` });
    return { daemon, client: async (backend, namespace) => (await daemon.remote.client(backend, { namespace: namespace ?? daemon.namespace })) as LocalClient };
  },
  () => daemon.stop(),
);
