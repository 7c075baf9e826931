// A test runner in its own process, for the test that kills one: it
// starts a container through the built test rig (dist/, or BERTH_DIST)
// over the daemon's socket, prints "started <container id> <run id>", and
// then idles until it is killed, leaving its container behind.
//
//   node test/rig/rig-runner.mjs --socket S --namespace N --id ID
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const { values } = parseArgs({ options: { socket: { type: "string" }, namespace: { type: "string" }, id: { type: "string" } } });
const dist = process.env.BERTH_DIST ?? resolve(import.meta.dirname, "../../dist");
const { ContainerBuilder, GrpcClient, currentRun } = await import(pathToFileURL(resolve(dist, "index.js")).href);

const client = await GrpcClient.connect({ socketPath: values.socket, namespace: values.namespace });
const started = await new ContainerBuilder().withName(values.id).withNetwork("none").withCommand(["sleep", "600"]).start(client);
process.stdout.write(`started ${started.getId()} ${currentRun().id}\n`);
setInterval(() => {}, 60_000);
