import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { clientContract } from "./client-contract.js";
import { pausedContract } from "./paused-contract.js";

let daemon: TestDaemon;

clientContract(
  "GrpcClient over the daemon's unix socket",
  async () => {
    daemon = await startTestDaemon("grpc");
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    return { daemon, client: (backend, namespace) => remote.client(backend, { namespace: namespace ?? daemon.namespace }) };
  },
  () => daemon.stop(),
);
pausedContract("GrpcClient over the daemon's unix socket", async () => ((daemon = await startTestDaemon("grpc-paused")), { daemon, client: async (backend, namespace) => (await Remote.connect({ socketPath: daemon.socketPath })).client(backend, { namespace: namespace ?? daemon.namespace }) }), () => daemon.stop());
