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
const path = str();
const array = (items: Schema, maxItems = 4096): Schema => ({ type: "array", items, maxItems });
const strings = (maxItems = 4096, maxLength = PATH_MAX_BYTES): Schema => array(str(maxLength), maxItems);
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  properties,
  ...(required.length > 0 && { required }),
});
const stringMap = (maxLength = PATH_MAX_BYTES): Schema => ({ type: "object", maxProperties: 1024, additionalProperties: str(maxLength) });

const capabilitySet = strings(64, 64);

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
    rlimits: array(object({ type: str(64), hard: uint64, soft: uint64 }, ["type", "hard", "soft"]), 64),
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
const deviceRule = object({ allow: bool, type: { enum: ["a", "b", "c"] }, major: int64, minor: int64, access: str(3) }, ["allow"]);
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

const seccomp = object(
  {
    defaultAction: str(64),
    defaultErrnoRet: uint32,
    architectures: strings(64, 64),
    flags: strings(64, 64),
    listenerPath: path,
    listenerMetadata: str(),
    syscalls: array(
      object(
        {
          names: { ...strings(1024, 64), minItems: 1 },
          action: str(64),
          errnoRet: uint32,
          args: array(object({ index: uint32, value: uint64, valueTwo: uint64, op: str(64) }, ["index", "value", "op"]), 6),
        },
        ["names", "action"],
      ),
      4096,
    ),
  },
  ["defaultAction"],
);

const linux = object({
  namespaces: array(object({ type: { enum: namespaceTypes }, path }, ["type"]), 16),
  uidMappings: array(idMapping, 340),
  gidMappings: array(idMapping, 340),
  devices: array(
    object(
      { path, type: { enum: ["b", "c", "u", "p"] }, major: int64, minor: int64, fileMode: uint32, uid: uint32, gid: uint32 },
      ["path", "type"],
    ),
    1024,
  ),
  cgroupsPath: path,
  resources,
  rootfsPropagation: { enum: ["", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"] },
  seccomp,
  sysctl: stringMap(),
  maskedPaths: strings(),
  readonlyPaths: strings(),
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
