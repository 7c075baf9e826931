import { Remote } from "../../src/remote/remote.js";
import { startTestDaemon, type TestDaemon } from "../helpers/test-daemon.js";
import { imageContract } from "./image-contract.js";

let daemon: TestDaemon;

imageContract(
  "GrpcClient over the daemon's unix socket",
  async () => {
    daemon = await startTestDaemon("image-grpc");
    const remote = await Remote.connect({ socketPath: daemon.socketPath });
    return { daemon, client: await remote.client(undefined, { namespace: daemon.namespace }) };
  },
  () => daemon.stop(),
);
