// OCI_SPEC_SCHEMA is berth's JSON schema for the fields of a runtime spec
// (config.json) that runc 1.1 reads on Linux, written from the runtime-spec
// v1.0.2 text (config.md, config-linux.md). A field of the wrong JSON type
// or out of its Go type's range makes runc fail with a Go unmarshalling
// error; checked here, the client hears which field to fix. Fields runc does
// not read pass through unchecked, and every object admits more properties,
// as the spec allows extensions.
import {
  ARGS_MAX_ENTRIES,
  ARG_STRING_MAX_BYTES,
  ADDITIONAL_GIDS_MAX_ENTRIES,
  ENV_MAX_ENTRIES,
  HOSTNAME_MAX_BYTES,
  MOUNTS_MAX_ENTRIES,
  PATH_MAX_BYTES,
  USER_ID_MAX,
} from "./request-limits.js";

type Schema = Record<string, unknown>;

// JSON numbers become JavaScript numbers, exact only below 2^53; a larger
// one would be written back changed, so berth takes none.
const SAFE = Number.MAX_SAFE_INTEGER;
const int = (minimum: number, maximum: number): Schema => ({ type: "integer", minimum, maximum });
const int64 = int(-SAFE, SAFE);
const uint64 = int(0, SAFE);
const uint32 = int(0, 2 ** 32 - 1);
const userId = int(0, USER_ID_MAX);
const bool: Schema = { type: "boolean" };
const str = (maxLength = PATH_MAX_BYTES): Schema => ({ type: "string", maxLength });
// A path reaches the kernel as a C string: a NUL would cut it (Go refuses
// it with EINVAL inside runc).
export const NUL_FREE = "^[^\\u0000]*$";
const path: Schema = { ...str(), pattern: NUL_FREE };
// oneOf enumerates the values runc 1.1 accepts for a field; any other
// makes it fail ("wrong rlimit value", "is not a valid action for seccomp").
const oneOf = (values: readonly string[]): Schema => ({ type: "string", enum: [...values] });
const array = (items: Schema, maxItems = 4096): Schema => ({ type: "array", items, maxItems });
const strings = (maxItems = 4096, maxLength = PATH_MAX_BYTES): Schema => array(str(maxLength), maxItems);
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  properties,
  ...(required.length > 0 && { required }),
});
const stringMap = (maxLength = PATH_MAX_BYTES): Schema => ({ type: "object", maxProperties: 1024, additionalProperties: str(maxLength) });

// Capabilities: runc 1.1 ignores a name it does not know, with only a
// warning in its log, so berth does not hold a list the kernel may outgrow;
// it checks the form, which catches "chown" or "CAP_CHOWN " written for
// CAP_CHOWN.
export const CAPABILITY = "^CAP_[A-Z0-9_]+$";
const capabilitySet = array({ type: "string", maxLength: 64, pattern: CAPABILITY }, 64);

// The rlimits runc maps to setrlimit(2) resources (libcontainer/specconv).
const RLIMIT_TYPES = [
  "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE",
  "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
];

const process = object(
  {
    terminal: bool,
    consoleSize: object({ height: uint32, width: uint32 }, ["height", "width"]),
    user: object(
      {
        uid: userId,
        gid: userId,
        umask: uint32,
        additionalGids: array(userId, ADDITIONAL_GIDS_MAX_ENTRIES),
        username: str(),
      },
      ["uid", "gid"],
    ),
    args: { ...strings(ARGS_MAX_ENTRIES, ARG_STRING_MAX_BYTES), minItems: 1 },
    env: strings(ENV_MAX_ENTRIES, ARG_STRING_MAX_BYTES),
    cwd: path,
    capabilities: object({
      bounding: capabilitySet,
      effective: capabilitySet,
      inheritable: capabilitySet,
      permitted: capabilitySet,
      ambient: capabilitySet,
    }),
    rlimits: array(object({ type: oneOf(RLIMIT_TYPES), hard: uint64, soft: uint64 }, ["type", "hard", "soft"]), 64),
    noNewPrivileges: bool,
    apparmorProfile: str(),
    oomScoreAdj: int(-1000, 1000),
    selinuxLabel: str(),
  },
  ["args"],
);

const mount = object(
  { destination: { ...path, minLength: 1 }, type: str(64), source: path, options: strings(64) },
  ["destination"],
);

const hook = object({ path, args: strings(), env: strings(), timeout: int(1, SAFE) }, ["path"]);
const hooks = object(
  Object.fromEntries(
    ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"].map((name) => [name, array(hook, 64)]),
  ),
);

const namespaceTypes = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup"];
const idMapping = object({ containerID: uint32, hostID: uint32, size: uint32 }, ["containerID", "hostID", "size"]);
const deviceRule = object({ allow: bool, type: oneOf(["a", "b", "c"]), major: int64, minor: int64, access: str(3) }, ["allow"]);
const weightDevice = object({ major: int64, minor: int64, weight: int(0, 65535), leafWeight: int(0, 65535) }, ["major", "minor"]);
const throttleDevice = object({ major: int64, minor: int64, rate: uint64 }, ["major", "minor", "rate"]);

const resources = object({
  devices: array(deviceRule, 1024),
  memory: object({
    limit: int64,
    reservation: int64,
    swap: int64,
    kernel: int64,
    kernelTCP: int64,
    swappiness: uint64,
    disableOOMKiller: bool,
    useHierarchy: bool,
  }),
  cpu: object({
    shares: uint64,
    quota: int64,
    period: uint64,
    realtimeRuntime: int64,
    realtimePeriod: uint64,
    cpus: str(),
    mems: str(),
    idle: int64,
  }),
  pids: object({ limit: int64 }, ["limit"]),
  blockIO: object({
    weight: int(0, 65535),
    leafWeight: int(0, 65535),
    weightDevice: array(weightDevice, 256),
    throttleReadBpsDevice: array(throttleDevice, 256),
    throttleWriteBpsDevice: array(throttleDevice, 256),
    throttleReadIOPSDevice: array(throttleDevice, 256),
    throttleWriteIOPSDevice: array(throttleDevice, 256),
  }),
  hugepageLimits: array(object({ pageSize: str(64), limit: uint64 }, ["pageSize", "limit"]), 64),
  network: object({ classID: uint32, priorities: array(object({ name: str(64), priority: uint32 }, ["name", "priority"]), 256) }),
  rdma: { type: "object", additionalProperties: object({ hcaHandles: uint32, hcaObjects: uint32 }) },
  unified: stringMap(),
});

// What runc 1.1.5 with libseccomp 2.5 accepts (libcontainer/seccomp/config.go);
// checked against runc itself: SCMP_ARCH_RISCV64 is refused there.
const SECCOMP_ACTIONS = [
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
];
const SECCOMP_ARCHES = [
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
];
const SECCOMP_OPERATORS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];

// A syscall name as libseccomp spells them ("clock_gettime64", "_llseek");
// runc skips a name libseccomp does not know, so only the form is checked.
export const SYSCALL_NAME = "^[a-z_][a-z0-9_]*$";

export const SECCOMP_SCHEMA = object(
  {
    defaultAction: oneOf(SECCOMP_ACTIONS),
    defaultErrnoRet: uint32,
    architectures: array(oneOf(SECCOMP_ARCHES), 64),
    // runc 1.1.5 (Debian 12) fails on every flag: "seccomp flags are not
    // yet supported by runc".
    flags: array(str(64), 0),
    listenerPath: path,
    listenerMetadata: str(),
    syscalls: array(
      object(
        {
          names: { ...array({ ...str(64), pattern: SYSCALL_NAME }, 1024), minItems: 1 },
          action: oneOf(SECCOMP_ACTIONS),
          errnoRet: uint32,
          args: array(object({ index: uint32, value: uint64, valueTwo: uint64, op: oneOf(SECCOMP_OPERATORS) }, ["index", "value", "op"]), 6),
        },
        ["names", "action"],
      ),
      4096,
    ),
  },
  ["defaultAction"],
);

const linux = object({
  namespaces: array(object({ type: oneOf(namespaceTypes), path }, ["type"]), 16),
  uidMappings: array(idMapping, 340),
  gidMappings: array(idMapping, 340),
  devices: array(
    object(
      { path, type: oneOf(["b", "c", "u", "p"]), major: int64, minor: int64, fileMode: uint32, uid: uint32, gid: uint32 },
      ["path", "type"],
    ),
    1024,
  ),
  cgroupsPath: path,
  resources,
  rootfsPropagation: oneOf(["", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"]),
  seccomp: SECCOMP_SCHEMA,
  sysctl: stringMap(),
  maskedPaths: array(path, 4096),
  readonlyPaths: array(path, 4096),
  mountLabel: str(),
  intelRdt: object({ closID: str(), l3CacheSchema: str(), memBwSchema: str(), enableCMT: bool, enableMBM: bool }),
  personality: object({ domain: str(64), flags: strings(64, 64) }, ["domain"]),
});

export const OCI_SPEC_SCHEMA: Schema = object(
  {
    ociVersion: str(64),
    process,
    root: object({ path, readonly: bool }),
    hostname: str(HOSTNAME_MAX_BYTES),
    domainname: str(HOSTNAME_MAX_BYTES),
    mounts: array(mount, MOUNTS_MAX_ENTRIES),
    hooks,
    annotations: stringMap(64 * 1024),
    linux,
  },
  ["process"],
);
