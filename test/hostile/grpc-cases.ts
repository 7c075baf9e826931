// The hostile cases of every RPC but Create (create-cases.ts): fast-check
// arbitraries of requests with hostile ids, process ids, signals, sizes,
// resources, wrong enum numbers, huge filters, timestamps out of range and
// attach message orders; and, for every RPC of the inventory, random bytes
// and invalid namespace headers. case-rules.ts says what each answer must be.
import fc from "fast-check";

import { type HostileCase, type PropertyDef, type Req } from "./case-types.js";
import { EVENT_TYPES, RESTART_KINDS, STATUSES, WAIT_CONDITIONS } from "./case-rules.js";
import { createProperties } from "./create-cases.js";
import { imageProperties } from "./image-cases.js";
import { securityProperties } from "./security-cases.js";
import { bogusSignal, enumNumber, hostileString, repeat, entries, u32, u64, validId, validSignal } from "./hostile-values.js";
import { ALL, idOf, processIdOf, processSpec, resources, timestamp } from "./request-arbitraries.js";
import type { Ref, World } from "./world.js";

const freshRef: Ref = { ref: "fresh" };
// unusableSubnet is never an IPv4 subnet a network could have: whatever
// else the request holds, CreateNetwork must refuse it, so the suite
// never makes a bridge on the host.
const unusableSubnet = fc
  .oneof(hostileString, fc.constantFrom("", "10.9.0.1/24", "10.9.0.0/33", "10.0.0.0/7", "300.1.2.0/24", "fd00:9::/64", "10.9.0.0", "10.9.0.0/", "/24"))
  .filter((s) => !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(s) || ["10.9.0.1/24", "10.9.0.0/33", "10.0.0.0/7", "300.1.2.0/24"].includes(s));
// copyPath: paths inside a container, of every kind a client might send.
const copyPath = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("/tmp", "/", "/etc/passwd", "/../../../etc", "/proc/self/root/etc", "/sys", "/no/such/dir", "tmp", "", ".", "x/../..", "/tmp/\0x", "/dev/null") },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: hostileString.map((s) => `/tmp/${s}`) },
);
// imageReference: references that parse, and near misses.
const imageReference = fc
  .tuple(
    fc.constantFrom("", "docker.io/", "registry.example.com:5000/", "localhost/", "127.0.0.1:1/", "UPPER.host/", "a..b/", "berth.local/"),
    fc.constantFrom("busybox", "library/busybox", "team/app", "Bad", "a__b", "a/", "x" .repeat(300)),
    fc.constantFrom("", ":latest", ":v1.2", ":-x", `@sha256:${"a".repeat(64)}`, "@sha256:abc", ":t@sha256:" + "0".repeat(64)),
  )
  .map(([host, name, suffix]) => `${host}${name}${suffix}`);
// staleRevision is a revision no container of the suite reaches.
const staleRevision = fc.bigInt({ min: 1n << 40n, max: (1n << 64n) - 1n }).map(String);

export function grpcProperties(world: World, runs: (n: number) => number): PropertyDef[] {
  const allIds = idOf(ALL);
  // The hostile daemon's default network, the suite's own.
  const defaultNetwork = world.network ?? "berth";
  const rpcCase = (rpc: string, input: string, arb: fc.Arbitrary<Req>): fc.Arbitrary<HostileCase> => arb.map((request) => ({ rpc, input, request }));
  return [
    ...createProperties(world, runs),
    ...securityProperties(runs),
    ...imageProperties(runs),
    {
      name: "Signal: bogus and valid signals",
      rpc: "ContainerService/Signal",
      arb: rpcCase(
        "ContainerService/Signal",
        "signal",
        fc.record({ id: idOf(["victim", "exited", "paused"]), signal: fc.oneof({ weight: 3, arbitrary: bogusSignal }, { weight: 1, arbitrary: validSignal }), all: fc.boolean() }),
      ),
      numRuns: runs(40),
    },
    {
      name: "SignalProcess: process ids and signals",
      rpc: "ContainerService/SignalProcess",
      arb: rpcCase(
        "ContainerService/SignalProcess",
        "signal",
        fc.record({ id: idOf(["victim", "exited"]), processId: processIdOf, signal: fc.oneof({ weight: 3, arbitrary: bogusSignal }, { weight: 1, arbitrary: validSignal }) }),
      ),
      numRuns: runs(40),
    },
    {
      name: "AddProcess: process ids and process specs",
      rpc: "ContainerService/AddProcess",
      arb: rpcCase(
        "ContainerService/AddProcess",
        "process",
        fc.record({
          id: idOf(["run", "exited"]),
          processId: fc.oneof(processIdOf, fc.constant(freshRef)),
          process: fc.oneof(processSpec(), fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ args: ["true"], env: repeat(n, "K{i}=v") }))),
        }),
      ),
      numRuns: runs(30),
    },
    {
      name: "Resize: sizes at the edges",
      rpc: "ContainerService/Resize",
      arb: rpcCase("ContainerService/Resize", "size", fc.record({ id: idOf(["tty", "run", "exited"]), processId: processIdOf, width: u32, height: u32 })),
      numRuns: runs(30),
    },
    {
      name: "CloseStdin: ids and process ids",
      rpc: "ContainerService/CloseStdin",
      arb: rpcCase("ContainerService/CloseStdin", "ids", fc.record({ id: idOf(["run", "exited", "tty"]), processId: processIdOf })),
      numRuns: runs(30),
    },
    ...(["Pause", "Resume", "Restore", "Stats", "ListPids", "Summary", "State"] as const).map((method) => ({
      name: `${method}: hostile ids`,
      rpc: `ContainerService/${method}`,
      arb: rpcCase(`ContainerService/${method}`, "id", fc.record({ id: method === "Pause" || method === "Resume" ? idOf(["pr", "exited", "run"]) : allIds })),
      numRuns: runs(30),
    })),
    {
      name: "UpdateResources: huge, negative and bogus limits",
      rpc: "ContainerService/UpdateResources",
      arb: rpcCase("ContainerService/UpdateResources", "resources", fc.record({ id: idOf(["upd", "exited"]), resources })),
      numRuns: runs(40),
    },
    // Start names only containers it leaves as they are (running, paused);
    // Stop, Restart and Update always carry a revision no container has
    // reached, so a fixture answers ABORTED and is never changed.
    {
      name: "Start: hostile ids and revisions",
      rpc: "ContainerService/Start",
      arb: rpcCase("ContainerService/Start", "id", fc.record({ id: idOf(["run", "paused"]), expectedRevision: staleRevision }, { requiredKeys: ["id"] })),
      numRuns: runs(20),
    },
    ...(["Stop", "Restart"] as const).map((method) => ({
      name: `${method}: signals, timeouts, stale revisions`,
      rpc: `ContainerService/${method}`,
      arb: rpcCase(
        `ContainerService/${method}`,
        "options",
        fc.record(
          {
            id: idOf(["run", "exited", "paused"]),
            signal: fc.oneof(fc.constant(""), bogusSignal, validSignal),
            timeoutSeconds: fc.oneof(fc.integer({ min: 0, max: 3600 }), u32),
            expectedRevision: staleRevision,
          },
          { requiredKeys: ["id", "signal", "expectedRevision"] },
        ),
      ),
      numRuns: runs(25),
    })),
    {
      name: "Update: labels, resources, policies, signals and run states, at a stale revision",
      rpc: "ContainerService/Update",
      arb: rpcCase(
        "ContainerService/Update",
        "changes",
        fc.record(
          {
            id: idOf(["run", "exited", "paused"]),
            expectedRevision: staleRevision,
            labels: fc.oneof(fc.constant({ values: { a: "b" } }), fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ values: entries(n, "k{i}", "v") }))),
            resources,
            restartPolicy: fc.record({ kind: enumNumber(RESTART_KINDS) }),
            stopSignal: fc.oneof(bogusSignal, validSignal),
            runState: enumNumber(STATUSES),
          },
          { requiredKeys: ["id", "expectedRevision"] },
        ),
      ),
      numRuns: runs(30),
    },
    {
      name: "Inspect: hostile ids, with and without size",
      rpc: "ContainerService/Inspect",
      arb: rpcCase("ContainerService/Inspect", "id", fc.record({ id: allIds, size: fc.boolean() })),
      numRuns: runs(20),
    },
    {
      name: "Delete: ids, force",
      rpc: "ContainerService/Delete",
      arb: rpcCase("ContainerService/Delete", "id", fc.record({ id: idOf(["run", "paused"]), force: fc.boolean() })),
      numRuns: runs(30),
    },
    {
      name: "Wait: process ids and wrong condition numbers",
      rpc: "ContainerService/Wait",
      arb: rpcCase("ContainerService/Wait", "condition", fc.record({ id: allIds, processId: processIdOf, condition: enumNumber(WAIT_CONDITIONS) })),
      numRuns: runs(25),
    },
    {
      name: "List: wrong status numbers and huge label filters",
      rpc: "ContainerService/List",
      arb: rpcCase(
        "ContainerService/List",
        "filters",
        fc.record({
          statuses: fc.array(enumNumber(STATUSES), { maxLength: 4 }),
          labels: fc.oneof(fc.dictionary(hostileString, hostileString, { maxKeys: 3 }), fc.integer({ min: 1000, max: 20_000 }).map((n) => entries(n, "k{i}", "v"))),
        }),
      ),
      numRuns: runs(30),
    },
    {
      name: "Logs: ids, tails and timestamps out of range",
      rpc: "ContainerService/Logs",
      arb: rpcCase(
        "ContainerService/Logs",
        "options",
        fc.record(
          { id: allIds, processId: processIdOf, stdout: fc.boolean(), stderr: fc.boolean(), tail: u32, since: timestamp, until: timestamp, follow: fc.boolean() },
          { requiredKeys: ["id", "processId", "follow", "tail"] },
        ),
      ),
      numRuns: runs(30),
    },
    {
      name: "Attach: message orders, hostile starts, huge stdin",
      rpc: "ContainerService/Attach",
      arb: fc
        .record({
          messages: fc.array(
            fc.oneof(
              { weight: 3, arbitrary: fc.record({ start: fc.record({ id: idOf(["stdin", "tty", "run", "exited"]), processId: processIdOf, logs: fc.boolean() }) }) },
              { weight: 1, arbitrary: fc.record({ stdin: fc.uint8Array({ maxLength: 64 }) }) },
              { weight: 1, arbitrary: fc.integer({ min: 64 * 1024, max: 1 << 20 }).map((n) => ({ stdin: new Uint8Array(n).fill(0x61) })) },
              { weight: 1, arbitrary: fc.record({ closeStdin: fc.boolean() }) },
              { weight: 1, arbitrary: fc.record({ resize: fc.record({ width: u32, height: u32 }) }) },
            ),
            { maxLength: 4 },
          ),
          endInput: fc.boolean(),
        })
        .map(({ messages, endInput }) => ({ rpc: "ContainerService/Attach", input: "messages", request: messages, endInput })),
      numRuns: runs(30),
    },
    {
      name: "CopyTo: message orders, hostile paths, files and archives",
      rpc: "ContainerService/CopyTo",
      arb: fc
        .record({
          messages: fc.array(
            fc.oneof(
              {
                weight: 3,
                arbitrary: fc.record(
                  {
                    start: fc.record(
                      {
                        id: idOf(["run", "exited", "paused"]),
                        destDir: copyPath,
                        file: fc.record({ path: copyPath, mode: fc.oneof(fc.integer({ min: 0, max: 0o7777 }), u32), uid: u32, gid: u32 }, { requiredKeys: ["path"] }),
                      },
                      { requiredKeys: ["id", "destDir"] },
                    ),
                  },
                ),
              },
              { weight: 2, arbitrary: fc.record({ data: fc.uint8Array({ maxLength: 2048 }) }) },
              { weight: 1, arbitrary: fc.integer({ min: 64 * 1024, max: 1 << 20 }).map((n) => ({ data: new Uint8Array(n) })) },
            ),
            { maxLength: 4 },
          ),
          endInput: fc.boolean(),
        })
        .map(({ messages, endInput }) => ({ rpc: "ContainerService/CopyTo", input: "messages", request: messages, endInput })),
      numRuns: runs(30),
    },
    {
      name: "CopyFrom: hostile ids and paths",
      rpc: "ContainerService/CopyFrom",
      arb: rpcCase("ContainerService/CopyFrom", "path", fc.record({ id: idOf(["run", "exited", "paused"]), path: copyPath, statOnly: fc.boolean() })),
      numRuns: runs(30),
    },
    {
      name: "Subscribe: wrong type numbers, huge filters, sequences and times out of range",
      rpc: "EventService/Subscribe",
      arb: rpcCase(
        "EventService/Subscribe",
        "filters",
        fc.record(
          {
            containerIds: fc.oneof(fc.array(hostileString, { maxLength: 3 }), fc.integer({ min: 1000, max: 20_000 }).map((n) => repeat(n, "c{i}"))),
            types: fc.array(enumNumber(EVENT_TYPES), { maxLength: 3 }),
            sinceSequence: u64,
            since: timestamp,
            until: timestamp,
            allNamespaces: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
      ),
      numRuns: runs(30),
    },
    {
      name: "CreateNetwork: hostile names, and subnets that are never usable",
      rpc: "NetworkService/CreateNetwork",
      arb: rpcCase(
        "NetworkService/CreateNetwork",
        "network",
        fc.record(
          {
            name: fc.oneof(hostileString, fc.constantFrom("none", "host", "net-ok", defaultNetwork)),
            subnet: unusableSubnet,
            gateway: hostileString,
            ipv6Subnet: hostileString,
            internal: fc.boolean(),
            bridge: hostileString,
          },
          { requiredKeys: ["name", "subnet"] },
        ),
      ),
      numRuns: runs(30),
    },
    {
      name: "ListNetworks: any request",
      rpc: "NetworkService/ListNetworks",
      arb: fc.constant({ rpc: "NetworkService/ListNetworks", input: "empty", request: {} }),
      numRuns: runs(3),
    },
    ...(["InspectNetwork", "RemoveNetwork"] as const).map((method) => ({
      name: `${method}: hostile, unknown and default network names`,
      rpc: `NetworkService/${method}`,
      arb: rpcCase(
        `NetworkService/${method}`,
        "name",
        fc.record({ name: fc.oneof(hostileString, fc.constantFrom("never-made", "none", defaultNetwork)), ...(method === "RemoveNetwork" && { force: fc.boolean() }) }),
      ),
      numRuns: runs(20),
    })),
    // Pull and Login never reach a registry: the hostile daemon may reach
    // only HOSTILE_ALLOWED_REGISTRY, which no case names (berth.local
    // names the built-in images, made here and never pulled).
    {
      name: "Pull: hostile references and platforms",
      rpc: "ImageService/Pull",
      arb: rpcCase(
        "ImageService/Pull",
        "reference",
        fc.record(
          {
            reference: fc.oneof(hostileString, imageReference),
            platform: fc.oneof(fc.constant(""), fc.constantFrom("linux/amd64", "linux/arm/v7", "linux", "linux/", "a/b/c/d"), hostileString),
          },
          { requiredKeys: ["reference"] },
        ),
      ),
      numRuns: runs(40),
    },
    {
      name: "Login: hostile servers and credentials",
      rpc: "ImageService/Login",
      arb: rpcCase(
        "ImageService/Login",
        "credentials",
        fc.record({
          server: fc.oneof(hostileString, fc.constantFrom("registry.example.com", "127.0.0.1:5000", "https://docker.io/v2/", "[::1]:5000")),
          username: fc.oneof(fc.constant("user"), hostileString),
          password: fc.oneof(fc.constant("pass"), hostileString, fc.integer({ min: 5000, max: 20_000 }).map((n) => "p".repeat(n))),
        }),
      ),
      numRuns: runs(30),
    },
    {
      name: "Logout: hostile servers",
      rpc: "ImageService/Logout",
      arb: rpcCase("ImageService/Logout", "server", fc.record({ server: fc.oneof(hostileString, fc.constantFrom("registry.example.com", "docker.io", "index.docker.io")) })),
      numRuns: runs(20),
    },
    {
      // Only levels and sizes that leave the suite's daemon as it runs: a
      // valid small log cap would cut the fixtures' logs, and debug would
      // write a line per hostile call.
      name: "UpdateOptions: unknown log levels and unusable log sizes",
      rpc: "SystemService/UpdateOptions",
      arb: rpcCase(
        "SystemService/UpdateOptions",
        "options",
        fc.record(
          {
            logLevel: fc.oneof(hostileString, fc.constantFrom("", "verbose", "INFO", "info ", "warning", "debug\0", "warn", "error")),
            logSizeMax: fc.constantFrom("0", "1", "4095", "9007199254740992", "18446744073709551615", String(1n << 40n)),
          },
          { requiredKeys: [] },
        ),
      ),
      numRuns: runs(20),
    },
    ...(["Version", "Ping", "Info"] as const).map((method) => ({
      name: `${method}: requests and namespaces of any kind`,
      rpc: `SystemService/${method}`,
      arb: fc.oneof(fc.constant(undefined), hostileString.filter((s) => /^[!-~]([ -~]*[!-~])?$/.test(s))).map((namespace) => ({
        rpc: `SystemService/${method}`,
        input: "namespace",
        request: {},
        ...(namespace !== undefined && { namespace }),
      })),
      numRuns: runs(15),
    })),
  ];
}

// everyRpcProperties: for every RPC of the inventory, random bytes as the
// request, and a hostile berth-namespace header.
export function everyRpcProperties(rpcs: Array<{ name: string; requestStream: boolean }>, runs: (n: number) => number): PropertyDef[] {
  const bytesCase = fc.tuple(fc.constantFrom(...rpcs), fc.uint8Array({ maxLength: 256 })).map(([rpc, b]) => ({
    rpc: rpc.name,
    input: "random bytes",
    raw: true,
    request: rpc.requestStream ? [b] : b,
  }));
  const nsCase = fc.tuple(fc.constantFrom(...rpcs), hostileString.filter((s) => /^[!-~]([ -~]*[!-~])?$/.test(s) && !validId(s))).map(([rpc, namespace]) => ({
    rpc: rpc.name,
    input: "namespace header",
    namespace,
    request: rpc.requestStream ? [{ start: { id: "x" } }] : rpc.name.endsWith("/Create") ? { id: "x", process: { args: ["true"] } } : { id: "x" },
  }));
  return [
    { name: "every RPC: random bytes as the request", rpc: "*", arb: bytesCase, numRuns: runs(60) },
    { name: "every RPC: an invalid berth-namespace header", rpc: "*", arb: nsCase, numRuns: runs(40) },
  ];
}

