// The hostile cases of Create, the RPC with the most to get wrong: ids,
// process specs, resources, users, mounts, root filesystems, bogus
// oci_spec_json, wrong enum numbers, huge repeated fields, and valid but
// unusual requests that must succeed.
import fc from "fast-check";

import { INVALID_ARGUMENT, REFUSED, type HostileCase, type PropertyDef, type Req } from "./case-types.js";
import { enumNumber, hostileString, repeat, entries, u32 } from "./hostile-values.js";
import { ALL, fixtureRef, processSpec, resources, user } from "./request-arbitraries.js";
import { RESTART_KINDS } from "./case-rules.js";
import type { Ref, World } from "./world.js";

const createCase = (input: string, arb: fc.Arbitrary<Req>, extra: Partial<HostileCase> = {}): fc.Arbitrary<HostileCase> =>
  arb.map((request) => ({ rpc: "ContainerService/Create", input, request, ...extra }));

const freshRef: Ref = { ref: "fresh" };
const trueProcess = { args: ["true"] };

// specMutations break a valid `runc spec` config.json in one place each.
const WRONG_TYPES: Array<[string, (s: Req) => void]> = [
  ["process.args is a string", (s) => ((s.process as Req).args = "true")],
  ["process.args holds numbers", (s) => ((s.process as Req).args = [1, 2])],
  ["process.user.uid is a string", (s) => (((s.process as Req).user as Req).uid = "0")],
  ["process.user is null", (s) => ((s.process as Req).user = null)],
  ["process.env is a string", (s) => ((s.process as Req).env = "A=1")],
  ["process.cwd is a number", (s) => ((s.process as Req).cwd = 5)],
  ["process is an array", (s) => (s.process = [])],
  ["process is missing", (s) => delete s.process],
  ["root is a string", (s) => (s.root = "rootfs")],
  ["mounts is an object", (s) => (s.mounts = {})],
  ["a mount's destination is a number", (s) => (s.mounts = [{ destination: 5, type: "tmpfs", source: "tmpfs" }])],
  ["linux.resources.memory.limit is a string", (s) => (((s.linux as Req).resources as Req).memory = { limit: "1g" })],
  ["hostname is a number", (s) => (s.hostname = 7)],
  ["ociVersion is a number", (s) => (s.ociVersion = 1)],
  ["process.terminal is a string", (s) => ((s.process as Req).terminal = "yes")],
  ["linux.namespaces is a string", (s) => ((s.linux as Req).namespaces = "pid")],
];
const BAD_VALUES: Array<[string, (s: Req) => void]> = [
  ["an rlimit type no kernel has", (s) => ((s.process as Req).rlimits = [{ type: "RLIMIT_BOGUS", hard: 1, soft: 1 }])],
  ["a namespace type no kernel has", (s) => ((s.linux as Req).namespaces = [{ type: "bogus" }])],
  ["uid above 2^31-1", (s) => (((s.process as Req).user as Req).uid = 4294967295)],
  ["uid -1", (s) => (((s.process as Req).user as Req).uid = -1)],
  ["cpuset 999", (s) => (((s.linux as Req).resources as Req).cpu = { cpus: "999" })],
  ["a relative cwd", (s) => ((s.process as Req).cwd = "relative")],
  ["an empty args list", (s) => ((s.process as Req).args = [])],
];

function specCases(world: World): fc.Arbitrary<HostileCase> {
  const base = () => structuredClone(world.baseSpec) as Req;
  const bytes = (s: string | Uint8Array) => (typeof s === "string" ? new Uint8Array(Buffer.from(s)) : s);
  const json = (v: unknown) => bytes(JSON.stringify(v));
  const req = (ociSpecJson: Uint8Array) => ({ id: freshRef, ociSpecJson });
  const unparsable = (b: Uint8Array): boolean => {
    try {
      const v = JSON.parse(Buffer.from(b).toString("utf8")) as unknown;
      return v === null || typeof v !== "object" || Array.isArray(v);
    } catch {
      return true;
    }
  };
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 512 }).map((b) => ({
      rpc: "ContainerService/Create",
      input: "oci_spec_json: random bytes",
      request: req(b),
      claims: unparsable(b) ? [{ why: "oci_spec_json is not a JSON object", codes: [INVALID_ARGUMENT] }] : [],
    })),
    fc.jsonValue({ maxDepth: 2 }).map((v) => {
      const b = json(v);
      const isObject = v !== null && typeof v === "object" && !Array.isArray(v);
      return {
        rpc: "ContainerService/Create",
        input: "oci_spec_json: random JSON",
        request: req(b),
        claims: [{ why: isObject ? "oci_spec_json has no process" : "oci_spec_json is not a JSON object", codes: [INVALID_ARGUMENT] }],
      };
    }),
    fc.constantFrom(...WRONG_TYPES).map(([why, mutate]) => {
      const s = base();
      mutate(s);
      return { rpc: "ContainerService/Create", input: "oci_spec_json: wrong JSON types", request: req(json(s)), claims: [{ why: `oci_spec_json: ${why}`, codes: [INVALID_ARGUMENT] }] };
    }),
    fc.constantFrom(...BAD_VALUES).map(([why, mutate]) => {
      const s = base();
      mutate(s);
      return { rpc: "ContainerService/Create", input: "oci_spec_json: values no runtime takes", request: req(json(s)), claims: [{ why: `oci_spec_json: ${why}`, codes: REFUSED }] };
    }),
    fc.constant(null).map(() => {
      const s = base();
      s.mounts = (s.mounts as Req[]).filter((m) => m.destination !== "/proc");
      return { rpc: "ContainerService/Create", input: "oci_spec_json: no /proc mount", request: req(json(s)) };
    }),
    fc.nat({ max: 400 }).map((cut) => {
      const text = JSON.stringify(base());
      return {
        rpc: "ContainerService/Create",
        input: "oci_spec_json: cut short",
        request: req(bytes(text.slice(0, Math.min(cut, text.length - 1)))),
        claims: [{ why: "oci_spec_json is not a JSON object", codes: [INVALID_ARGUMENT] }],
      };
    }),
    fc.constant(null).map(() => ({ rpc: "ContainerService/Create", input: "oci_spec_json: valid", request: req(json(base())), expectOk: "a valid `runc spec` config.json running true" })),
  );
}

// HUGE: one repeated field or string far past any sensible bound. n is
// kept where a quadratic handler still answers within a few seconds.
const HUGE_FIELDS = ["env", "args", "labels", "mounts", "additionalGids", "hostname", "cwd", "labelValue", "argBytes", "envBytes", "overMessageCap"] as const;

function hugeCreate(field: (typeof HUGE_FIELDS)[number], n: number): Req {
  const process: Req = { args: ["true"] };
  const req: Req = { id: freshRef, process };
  switch (field) {
    case "env":
      process.env = repeat(n, "K{i}=v");
      break;
    case "args":
      process.args = repeat(n, "x", ["true"]);
      break;
    case "labels":
      req.labels = entries(n, "k{i}", "v");
      break;
    case "mounts":
      req.mounts = repeat(n, { source: "/nonexistent/berth-hostile", destination: "/m{i}" });
      break;
    case "additionalGids":
      process.user = { uid: 0, gid: 0, additionalGids: repeat(n, 7) };
      break;
    case "hostname":
      req.hostname = "a".repeat(n * 10);
      break;
    case "cwd":
      process.cwd = `/${"a/".repeat(n)}`;
      break;
    case "labelValue":
      req.labels = { big: "v".repeat(n * 100) };
      break;
    case "argBytes":
      process.args = ["echo", "x".repeat(n * 100)];
      break;
    case "envBytes":
      process.env = [`BIG=${"x".repeat(n * 100)}`];
      break;
    case "overMessageCap":
      req.labels = { big: "v".repeat(4 * 1024 * 1024 + n) };
      break;
  }
  return req;
}

// HOOK_STAGES: CreateRequest.hooks's fields.
const HOOK_STAGES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;

// hookCases: hooks whose path is no program on the host (missing, a
// folder, a plain file, relative, hostile), with bad env or timeouts, past
// the per-stage bound, or real programs that succeed or fail.
function hookCases(world: World): fc.Arbitrary<HostileCase> {
  const p = world.paths;
  const hook = fc.record(
    {
      path: fc.oneof(fc.constantFrom("/bin/true", "/bin/false", p.file, p.dir, p.missing, "relative/hook", ""), hostileString),
      args: fc.array(fc.oneof(fc.constantFrom("hook", "-x"), hostileString), { maxLength: 2 }),
      env: fc.array(fc.constantFrom("A=1", "PATH=/bin", "bad", "=x", "A=\0"), { maxLength: 2 }),
      timeoutSeconds: fc.oneof(fc.constantFrom(0, 1, 60, 3600, 3601), u32),
    },
    { requiredKeys: ["path"] },
  );
  const stages = fc.dictionary(fc.constantFrom(...HOOK_STAGES), fc.array(hook, { minLength: 1, maxLength: 2 }), { minKeys: 1, maxKeys: 2 });
  const many = fc.constantFrom(...HOOK_STAGES).map((stage) => ({ [stage]: repeat(65, { path: "/bin/true" }) }));
  return fc.oneof({ weight: 5, arbitrary: stages }, { weight: 1, arbitrary: many }).map((hooks) => ({
    rpc: "ContainerService/Create",
    input: "hooks",
    request: { id: freshRef, process: trueProcess, hooks },
  }));
}

// networkCases: CreateRequest's network, ports and dns_servers: network
// names and modes (the suite's own network, one never made, hostile
// names), port bindings with bad ports, protocols and host addresses,
// duplicates, a host port the suite holds, and DNS servers that are no
// addresses. The process is true: a valid one joins the suite's network
// for a moment and gives its address back when it exits.
function networkCases(world: World): fc.Arbitrary<HostileCase> {
  const port = (max: number) => fc.oneof(fc.constantFrom(0, 80, 65535, 65536), fc.integer({ min: 1, max }), u32);
  const binding = fc.record(
    {
      hostIp: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("", "127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "192.0.2.1", "224.0.0.1", "255.255.255.255", "fe80::1", "ff02::1", "fd6e::5") },
        { weight: 1, arbitrary: hostileString },
      ),
      hostPort: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(world.takenPort ?? 0) }, { weight: 1, arbitrary: fc.constantFrom(65536, 70000) }, { weight: 1, arbitrary: u32 }),
      containerPort: port(65535),
      protocol: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("", "tcp", "udp", "sctp", "TCP") }, { weight: 1, arbitrary: hostileString }),
    },
    { requiredKeys: ["containerPort"] },
  );
  const twice = binding.map((b) => [b, { ...b, containerPort: 81 }]);
  return fc
    .record(
      {
        network: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("", "none", "host", world.network ?? "berth", "never-made", "default") }, { weight: 1, arbitrary: hostileString }),
        ports: fc.oneof({ weight: 4, arbitrary: fc.array(binding, { maxLength: 3 }) }, { weight: 1, arbitrary: twice }),
        dnsServers: fc.oneof(fc.array(fc.constantFrom("192.0.2.53", "2001:db8::53", "dns.example", "", "1.2.3"), { maxLength: 3 }), fc.constant(repeat(9, "192.0.2.{i}"))),
      },
      { requiredKeys: [] },
    )
    .map((fields) => ({ rpc: "ContainerService/Create", input: "network, ports, dns_servers", request: { id: freshRef, process: trueProcess, ...fields }, expectOk: "the network fields are valid" }));
}

export function createProperties(world: World, runs: (n: number) => number): PropertyDef[] {
  const create = (name: string, arb: fc.Arbitrary<HostileCase>, n: number): PropertyDef => ({ name: `Create: ${name}`, rpc: "ContainerService/Create", arb, numRuns: runs(n) });
  const p = world.paths;
  return [
    create(
      "hostile ids",
      createCase("id", fc.record({ id: fc.oneof({ weight: 4, arbitrary: hostileString }, { weight: 1, arbitrary: fixtureRef(ALL) }, { weight: 1, arbitrary: fc.constant(freshRef) }), process: fc.constant(trueProcess) })),
      30,
    ),
    create("hostile process specs", createCase("process", fc.record({ id: fc.constant(freshRef), process: processSpec() })), 25),
    create("hostile resources", createCase("resources", fc.record({ id: fc.constant(freshRef), process: fc.constant(trueProcess), resources })), 25),
    create("uid/gid at and past 2^31-1", createCase("user", fc.record({ id: fc.constant(freshRef), process: user.map((u) => ({ args: ["true"], user: u })) })), 12),
    create(
      "mounts with missing sources, relative paths, over /proc, traversal",
      createCase(
        "mounts",
        fc.record({
          id: fc.constant(freshRef),
          process: fc.constant(trueProcess),
          mounts: fc.array(
            fc.record({
              source: fc.oneof(fc.constantFrom(p.dir, p.file, p.missing, "", "relative/dir", "/proc", "/dev/null"), hostileString),
              destination: fc.oneof(
                fc.constantFrom("/proc", "/proc/sys", "/proc/self/fd", "/mnt/../proc", "", "relative", "/mnt/x", "/dev/x", `/${"../".repeat(12)}${p.escape.slice(1)}`),
                hostileString,
              ),
              readOnly: fc.boolean(),
            }),
            { minLength: 1, maxLength: 3 },
          ),
        }),
      ),
      20,
    ),
    create(
      "root filesystems that do not exist, are files, or are no archives",
      createCase(
        "rootfs",
        fc.record({
          id: fc.constant(freshRef),
          process: fc.constant(trueProcess),
          rootfs: fc.oneof(
            fc.record({ path: fc.oneof(fc.constantFrom(p.missing, p.file, "/dev/null", "relative/rootfs", "", p.emptyDir, p.dir), hostileString), readOnly: fc.boolean() }),
            fc.record({ imagePath: fc.oneof(fc.constantFrom(p.missing, p.garbage, p.dir, "/dev/null", "relative.tar", ""), hostileString), readOnly: fc.boolean() }),
          ),
        }),
      ),
      20,
    ),
    create("bogus oci_spec_json", specCases(world), 30),
    create("network modes and names, port bindings and DNS servers", networkCases(world), 30),
    create("hooks that are no programs, with bad env or timeouts, or that fail", hookCases(world), 20),
    create(
      "labels, hostnames and restart policies with wrong enum numbers",
      createCase(
        "misc",
        fc.record(
          {
            id: fc.constant(freshRef),
            process: fc.constant(trueProcess),
            labels: fc.dictionary(hostileString, hostileString, { maxKeys: 4 }),
            hostname: fc.oneof(fc.constantFrom("", "a", "a-b.c", "-a", "a_b", "a..b", "x".repeat(64), "\u00e9"), hostileString),
            restartPolicy: fc.record({ kind: enumNumber(RESTART_KINDS), maxRetries: u32 }),
          },
          { requiredKeys: ["id", "process"] },
        ),
      ),
      25,
    ),
    create(
      "huge repeated fields and strings",
      fc.record({ field: fc.constantFrom(...HUGE_FIELDS), n: fc.integer({ min: 1000, max: 20_000 }) }).map(({ field, n }) => ({
        rpc: "ContainerService/Create",
        input: `huge ${field}`,
        request: hugeCreate(field, n),
      })),
      14,
    ),
    create(
      "valid but unusual requests succeed",
      fc
        .record({
          labels: fc.dictionary(fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }), fc.string({ unit: "grapheme", maxLength: 16 }), { maxKeys: 3 }),
          hostname: fc.constantFrom("", "a", "a-b.c", "x".repeat(63)),
          env: fc.array(fc.constantFrom("A=", "EMPTY=", "U=\u00e9\u{1F600}", `LONG=${"y".repeat(1000)}`, "A=1=2"), { maxLength: 3 }),
          args: fc.constantFrom(["true"], ["sh", "-c", "exit 0"], ["sleep", "600"], ["echo", "\u{1F600}"]),
          uid: fc.constantFrom(0, 1, 65534, 2 ** 31 - 1),
          terminal: fc.boolean(),
          stdin: fc.boolean(),
          readOnly: fc.boolean(),
          memory: fc.constantFrom(undefined, String(64 << 20)),
          pids: fc.constantFrom(undefined, "64", "-1"),
          cpuset: fc.constantFrom(undefined, String(world.onlineCpus[0] ?? 0)),
          mount: fc.boolean(),
          restart: fc.constantFrom(0, 1),
        })
        .map((u) => ({
          rpc: "ContainerService/Create",
          input: "valid, unusual",
          expectOk: "every field is valid",
          request: {
            id: freshRef,
            labels: u.labels,
            hostname: u.hostname,
            process: { args: u.args, env: u.env, cwd: u.readOnly ? "/" : "/tmp", user: { uid: u.uid, gid: u.uid }, terminal: u.terminal, stdin: u.stdin, consoleSize: { width: 80, height: 24 } },
            ...(u.readOnly && { rootfs: { readOnly: true } }),
            resources: { ...(u.memory && { memoryLimitBytes: u.memory }), ...(u.pids && { pidsLimit: u.pids }), ...(u.cpuset && { cpusetCpus: u.cpuset }) },
            ...(u.mount && { mounts: [{ source: p.dir, destination: "/mnt/data", readOnly: true }] }),
            restartPolicy: { kind: u.restart, maxRetries: 0 },
          },
        })),
      12,
    ),
  ];
}
