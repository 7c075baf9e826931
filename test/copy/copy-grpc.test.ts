import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { copyContract } from "./copy-contract.js";

let daemon: TestDaemon;

copyContract(
  "GrpcClient over the daemon's unix socket",
  async () => {
    daemon = await startTestDaemon("copy-grpc");
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    return { daemon, client: await remote.client(undefined, { namespace: daemon.namespace }) };
  },
  () => daemon.stop(),
);
