import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { securityContract } from "./security-contract.js";

let daemon: TestDaemon;

securityContract(
  "GrpcClient over the daemon's unix socket",
  async () => {
    daemon = await startTestDaemon("sec-grpc");
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    return { daemon, client: (backend, namespace) => remote.client(backend, { namespace: namespace ?? daemon.namespace }) };
  },
  () => daemon.stop(),
);
