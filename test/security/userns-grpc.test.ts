import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { USERNS_TEST_RANGE, usernsContract } from "./userns-contract.js";

let daemon: TestDaemon;

// Its own range, apart from the LocalClient suite's, which may run at the
// same time.
const RANGE = `${USERNS_TEST_RANGE.start + USERNS_TEST_RANGE.count}:${USERNS_TEST_RANGE.count}`;

usernsContract(
  "GrpcClient over the daemon's unix socket",
  async () => {
    daemon = await startTestDaemon("uns-grpc", { subuidRange: RANGE });
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    return { daemon, client: (backend, namespace) => remote.client(backend, { namespace: namespace ?? daemon.namespace }) };
  },
  () => daemon.stop(),
  { start: USERNS_TEST_RANGE.start + USERNS_TEST_RANGE.count, count: USERNS_TEST_RANGE.count },
);
